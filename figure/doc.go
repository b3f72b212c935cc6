// Package figure draws gabor's figures once and writes them as PNG, SVG and
// PDF through gonum/plot's vg canvases.
//
// A Figure is a page of W×H points (1/72 inch) holding items in drawing
// order: pixel tiles (images whose every source pixel stays a sharp square),
// filled and outlined rectangles, text in gonum's bundled Liberation
// Sans, and whole gonum plots (axes, ticks, legends, colorbars) placed in a
// rectangle. Coordinates run from the top-left corner, y downward, as
// layouts are usually thought of; the writers flip them for vg.
//
// Writing (Render, Write, WriteFiles):
//   - PNG through vgimg at a chosen DPI (300 by default), on a graphics
//     context whose image interpolation is nearest-neighbour, so an upscaled
//     5×5 filter is 25 flat squares, not a blur;
//   - SVG through vgsvg and PDF through vgpdf (fonts embedded), with tiles
//     drawn as one filled rectangle per run of equal pixels in a row: vector
//     viewers smooth embedded images, rectangles they cannot;
//   - provenance (command, model, step, seed, commit…) in PNG tEXt chunks,
//     an SVG <metadata> element and the PDF Info dictionary, added by a small
//     post-writer because vg has no hook for them. The PDF keeps fpdf's
//     file and appends an incremental update that redefines Info.
//
// Options.Width scales a figure uniformly to a width in inches; layouts that
// can reflow (Grid) take the width themselves so that text keeps its size.
//
// Colours: Diverging is Moreland's smooth blue–red map from
// gonum's palette/moreland (white at zero), Gray a linear gray ramp, and
// ClassColor a colour-blind-safe set (Paul Tol's "muted" scheme) paired
// with distinct marker shapes.
package figure
