// Package introspect holds the analyses that look inside gabor's networks
// from what training saved (snapshots of weights taken during training and
// checkpoints, read with package runs) and the taps a compiled Program
// keeps. It never re-runs a model in another framework.
//
// # Figures
//
// Every figure is a figure.Figure (package figure: gonum/plot vg canvases,
// PNG at a chosen DPI, SVG and PDF, provenance in each), built here by
// layout functions that know the analyses: ActivationFigure, DeconvFigure,
// ScatterFigure and OverviewFigure, QueryFigure, FitFigure, Filmstrip and
// ScoreFigure; grids of panels are figure.Grid. Each Render* verb takes a
// figure.Output (the shared figure flags) and names its files by what makes
// them differ, never overwriting one silently.
//
// # Where the weights come from
//
// Package runs reads what training saved and takes the snapshots:
// runs.OpenRun opens a run directory, Run.Steps and Run.At list and read
// the weights of its steps, runs.ReadWeights reads a checkpoint or snapshot
// file, runs.Metrics the epoch records; runs.SnapshotWriter is behind `gabor
// train --snapshot`. Here, OpenWeights opens the path a verb is given (a run
// directory or a file) at a step, every error a *SourceError; ModelLayers
// and DefaultLayer list the layers of the model that a runs.Run or a
// runs.Weights rebuilds (any ModelSource), so the zoo's names are never
// assumed.
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
// Fits that end on their search bounds are flagged (FilterFit.AtBound; on a
// lower bound, FilterFit.Degenerate); a
// negative adjusted R² counts as not Gabor-like and is left out of
// MeanR2Adj. Filmstrip and WriteGIF show filters across snapshots;
// ScoreFigure plots the score over training. RenderFilters does all of it for `gabor filters`.
package introspect
