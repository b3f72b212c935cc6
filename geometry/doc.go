// Package geometry is the geometry of small networks on the plane, in
// float64: what a multilayer perceptron with two inputs does to its input
// plane.
//
// A Net is a stack of dense layers, each with its activation (step, ReLU,
// sigmoid, tanh or none), its weights set by hand, built from polygons
// (Construct) or read from a run (NetOf). Every first-layer unit is a line
// w·x + b = 0 with a positive side (HalfPlanes).
//
// Piecewise-linear networks (step and ReLU hidden layers) are analysed
// exactly, by splitting convex polygons. Regions starts from the box as one
// polygon on which the input is the identity map; for each hidden layer in
// turn, every unit's pre-activation is an affine function of the input on
// each current polygon, so its zero set is a line that cuts the polygon in
// two convex pieces (Polygon.Split). After a layer, each piece knows the
// activation pattern of that layer and the layer's output as an affine map
// of the input (a ReLU unit passes its pre-activation or 0, a step unit
// the constant 1 or 0). The pieces left after the last hidden layer are the
// linear regions: on each the logits are one affine map. No sampling is
// involved; slivers thinner than rounding (area below 1e-13 of the box) are
// dropped, so areas tile the box to about 1e-12.
//
// From the regions follow the set where any hidden unit is active (the
// union of the pieces of its layer whose bit is set, ActiveSet) and the
// exact decision regions (each linear region clipped by the lines where
// one logit equals another, DecisionRegions). Smooth networks (sigmoid,
// tanh) are sampled on a grid instead (DecisionMap, UnitMap); so is every
// network for the probability shading of a figure — a run's through its
// own compiled forward program on a backend (ProgramMap), a step network
// as the float64 Net, whose steps are true steps.
//
// DrawRegions draws a network's plane with the figure system; RenderRun
// and RenderNet are what `gabor regions` runs (figures, the time-lapse
// over a run's snapshots, and the Result its --json prints).
//
// Construct builds the step networks that fire inside given convex
// polygons and unions of them; DepthExample is the 2-10-3-8 network over
// three polygons and ShallowPatterns asks, by linear programming, which of
// its eight in/out patterns a single threshold unit over the ten edge
// indicators can express (the 2-10-8 network).
package geometry
