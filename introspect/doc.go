// Package introspect looks inside gabor's networks from what training saved:
// snapshots of weights taken during training, checkpoints, and the taps a
// compiled Program keeps. It never re-runs a model in another framework.
//
// # Rendering core
//
// A Figure is a picture described once (raster Tiles drawn with
// nearest-neighbour upscaling, filled Rects, Texts, and a provenance Meta
// map) and written by WritePNG (provenance in tEXt chunks, via EncodePNG),
// WriteSVG (tiles as one rect per pixel, or embedded PNGs above
// SVGRectLimit; text as vector text; provenance in <metadata>) and WritePDF
// (a minimal one-page PDF written by hand: Flate image XObjects, Courier
// text, provenance in the Info dictionary). The unit is the PNG pixel, so one
// layout serves all three; text uses a 7-pixel-wide cell in every format
// (TextWidth).
//
// Grid lays out Panels (small W×H value arrays) with padding, upscaling,
// optional labels, row labels and a colorbar, through a Colormap (Diverging:
// blue–white–red built in CIELAB with zero at white; Gray) and a Scale that
// maps values to [0, 1]: SymmetricScale for signed weights (zero at the
// centre), RangeScale for activations; per panel (NormFilter) or shared
// (NormGlobal), or fixed by the caller (GridOptions.Fixed, Panel.Scale).
//
// # Snapshots
//
// SnapshotWriter provides the training hooks behind `gabor train --snapshot
// every=N[steps|epochs]`: on the training thread it only copies the
// convolution weights (or an MLP's first dense layer) to the host; a
// goroutine writes RUN_DIR/snapshots/step-NNNNNN.safetensors with the step,
// epoch, model, seed and config in the metadata. TakeInitial saves the
// starting weights as step 0. OpenRun, Run.Steps, Run.At, ReadWeights and
// OpenWeights read runs, snapshots and checkpoints back.
//
// # Filters and the Gabor fit
//
// Filters turns a layer's weight into panels: a convolution's filters
// (averaged over input channels, or one per channel) or an MLP's first-layer
// units as 28×28 images. Unknown layers and layers without filters are a
// *LayerError listing what exists. FitGabor fits one filter by variable
// projection (amplitude, phase and offset solved linearly, centre,
// orientation, widths and wavelength searched by gonum's Nelder–Mead from
// Fourier-peak and seeded random starts); FitFilters fits a set in parallel,
// GaborScore is the fraction whose adjusted R² reaches a threshold.
// Filmstrip and WriteGIF show filters across snapshots; WriteScorePlot plots
// the score over training. RenderFilters does all of it for `gabor filters`.
package introspect
