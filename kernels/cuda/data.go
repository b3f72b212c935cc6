//go:build gpu

package cuda

import (
	"fmt"
	"unsafe"

	"github.com/gaborlab/gabor/kernels"
	"gorgonia.org/cu"
)

// The input pipeline on the device (data.cu): a uint8 dataset uploaded once,
// batches gathered from the epoch's permutation into a Program's input
// buffers, and the correct-count of accuracy. These are not instructions of
// a Program; they are prepared Launches that the training loop issues on the
// Executable's stream around Run (and that a captured step graph includes).

// Dataset is a uint8 image set with its labels, resident on the GPU, and a
// permutation of its rows.
type Dataset struct {
	x              *Executable
	mem            cu.DevicePtr
	img, lab, perm cu.DevicePtr
	n, dim         int
	closed         bool
}

// UploadDataset copies n = len(labels) images of dim bytes each (row-major,
// len(images) = n·dim) and their labels to the GPU, with the identity
// permutation.
func (x *Executable) UploadDataset(images, labels []uint8, dim int) (*Dataset, error) {
	if err := x.usable(); err != nil {
		return nil, err
	}
	n := len(labels)
	if n < 1 || dim < 1 || len(images) != n*dim {
		return nil, fmt.Errorf("cuda: dataset of %d labels and %d image bytes, want n ≥ 1 images of dim = %d ≥ 1 bytes each", n, len(images), dim)
	}
	if n*dim > maxElems {
		return nil, fmt.Errorf("cuda: dataset of %d×%d bytes is beyond 32-bit indexing", n, dim)
	}
	imgBytes, labBytes := align256(int64(n*dim)), align256(int64(n))
	total := imgBytes + labBytes + 4*int64(n)
	d := &Dataset{x: x, n: n, dim: dim}
	ident := make([]int32, n)
	for i := range ident {
		ident[i] = int32(i)
	}
	err := x.dev.w.do(func() error {
		var err error
		if d.mem, err = cu.MemAlloc(total); err != nil {
			free, all, _ := cu.MemInfo()
			return fmt.Errorf("cuda: allocating %d bytes for a %d×%d dataset: %w: %s", total, n, dim, err, memoryAdvice(x.bytes, total, free, all))
		}
		d.img, d.lab, d.perm = d.mem, d.mem+cu.DevicePtr(imgBytes), d.mem+cu.DevicePtr(imgBytes+labBytes)
		for _, c := range []struct {
			dst   cu.DevicePtr
			src   unsafe.Pointer
			bytes int
		}{{d.img, unsafe.Pointer(&images[0]), n * dim}, {d.lab, unsafe.Pointer(&labels[0]), n}, {d.perm, unsafe.Pointer(&ident[0]), 4 * n}} {
			if err := cu.MemcpyHtoDAsync(c.dst, c.src, int64(c.bytes), x.stream); err != nil {
				return fmt.Errorf("cuda: uploading the dataset: %w", err)
			}
		}
		return x.stream.Synchronize()
	})
	if err != nil {
		if d.mem != 0 {
			x.dev.w.do(func() error { return cu.MemFree(d.mem) })
		}
		return nil, err
	}
	x.owned = append(x.owned, d)
	return d, nil
}

// Len is the number of images.
func (d *Dataset) Len() int { return d.n }

// Dim is the number of bytes of one image.
func (d *Dataset) Dim() int { return d.dim }

// SetPerm replaces the permutation (a new epoch's shuffle). It is ordered
// after the work already issued on the stream and before what follows.
func (d *Dataset) SetPerm(perm []int32) error {
	if d.closed {
		return fmt.Errorf("cuda: dataset used after Close")
	}
	if len(perm) != d.n {
		return fmt.Errorf("cuda: permutation of %d rows for a dataset of %d", len(perm), d.n)
	}
	for i, k := range perm {
		if k < 0 || int(k) >= d.n {
			return fmt.Errorf("cuda: permutation entry %d is %d, outside [0, %d)", i, k, d.n)
		}
	}
	return d.x.dev.w.do(func() error {
		return cu.MemcpyHtoDAsync(d.perm, unsafe.Pointer(&perm[0]), int64(4*len(perm)), d.x.stream)
	})
}

// Close releases the dataset's device memory.
func (d *Dataset) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	return d.x.dev.w.do(func() error {
		if err := d.x.stream.Synchronize(); err != nil {
			return err
		}
		return cu.MemFree(d.mem)
	})
}

// Launch is a kernel launch prepared outside the Program; see Issue.
type Launch struct {
	x  *Executable
	ls []launch
}

// Issue enqueues a prepared launch on the executable's stream, without
// waiting.
func (x *Executable) Issue(l *Launch) error {
	if err := x.usable(); err != nil {
		return err
	}
	if l.x != x {
		return fmt.Errorf("cuda: launch prepared for another executable")
	}
	return x.dev.w.do(func() error {
		for i := range l.ls {
			if err := l.ls[i].issue(x.stream); err != nil {
				return fmt.Errorf("cuda: %s: %w", &l.ls[i], err)
			}
		}
		return nil
	})
}

// extraOperands resolves buffers of the program for a launch that is not
// one of its instructions.
func (x *Executable) extraOperands(op string, in ...kernels.BufID) operands {
	return operands{bd: &binder{x: x, base: uint64(x.mem)}, in: kernels.Instr{In: in, Node: op}}
}

// bufLen is the length of buffer id, or an error naming it.
func (x *Executable) bufLen(id kernels.BufID, what string) (int, error) {
	if id < 0 || int(id) >= len(x.prog.Buffers) {
		return 0, fmt.Errorf("%s: buffer b%d does not exist", what, id)
	}
	return x.prog.Buffers[id].Len, nil
}

// GatherLaunch prepares the batch gather: with B = len(labels buffer) and
// p = pos[0] (a float holding the batch's first position in the
// permutation, written by the host or a counter kernel before each step),
//
//	images[b, j] = (img[perm[(p+b) mod n], j]/255 − mean)/std,  labels[b] = lab[perm[(p+b) mod n]]
//
// images must hold B·dim floats.
func (x *Executable) GatherLaunch(d *Dataset, pos, images, labels kernels.BufID, mean, std float32) (*Launch, error) {
	if err := x.usable(); err != nil {
		return nil, err
	}
	if d.x != x || d.closed {
		return nil, fmt.Errorf("cuda: gather: the dataset belongs to another executable or is closed")
	}
	batch, err := x.bufLen(labels, "gather labels")
	if err != nil {
		return nil, err
	}
	npos, err := x.bufLen(pos, "gather pos")
	if err != nil {
		return nil, err
	}
	if npos < 1 || batch < 1 {
		return nil, fmt.Errorf("cuda: gather: pos holds %d floats and labels %d, want ≥ 1 each", npos, batch)
	}
	o := x.extraOperands("gather", pos, images, labels)
	pp, err := o.checked(0, npos, "pos")
	if err != nil {
		return nil, err
	}
	pi, err := o.checked(1, batch*d.dim, "images")
	if err != nil {
		return nil, fmt.Errorf("cuda: gather of %d rows of %d: %w", batch, d.dim, err)
	}
	pl, _ := o.checked(2, batch, "labels")
	if o.overlap(images, labels) || o.overlap(images, pos) || o.overlap(labels, pos) {
		return nil, fmt.Errorf("cuda: gather: pos, images and labels overlap")
	}
	l, err := x.gatherLaunch(d, pp, pi, pl, batch, mean, std)
	if err != nil {
		return nil, err
	}
	return &Launch{x: x, ls: []launch{l}}, nil
}

// gatherLaunch is the gather of batch rows of d into the device addresses
// images and labels, from the position in the float at pos.
func (x *Executable) gatherLaunch(d *Dataset, pos, images, labels uint64, batch int, mean, std float32) (launch, error) {
	var ar args
	ar.ptr(uint64(d.img)).ptr(uint64(d.lab)).ptr(uint64(d.perm)).ptr(pos).ptr(images).ptr(labels).ints(batch, d.dim, d.n).f32(mean).f32(std)
	return x.dev.newLaunch("gather_u8_f32", [3]int{min(batch, 65535*16), 1, 1}, [3]int{eltThreads, 1, 1}, 0, ar,
		fmt.Sprintf("batch=%d dim=%d n=%d", batch, d.dim, d.n))
}

// CorrectCountLaunch prepares count[0] += #{rows whose argmax over the
// classes of logits (first maximum) equals the label}. count accumulates:
// zero it (Write, or an OpFill instruction) before the first batch.
func (x *Executable) CorrectCountLaunch(logits, labels, count kernels.BufID, classes int) (*Launch, error) {
	if err := x.usable(); err != nil {
		return nil, err
	}
	rows, err := x.bufLen(labels, "correct-count labels")
	if err != nil {
		return nil, err
	}
	if classes < 1 || rows < 1 {
		return nil, fmt.Errorf("cuda: correct-count of %d rows of %d classes", rows, classes)
	}
	o := x.extraOperands("correct_count", logits, labels, count)
	pl, err := o.checked(0, rows*classes, "logits")
	if err != nil {
		return nil, fmt.Errorf("cuda: correct-count of %d rows of %d classes: %w", rows, classes, err)
	}
	pb, _ := o.checked(1, rows, "labels")
	pc, err := o.checked(2, 1, "count")
	if err != nil {
		return nil, fmt.Errorf("cuda: correct-count: %w", err)
	}
	if o.overlap(count, logits) || o.overlap(count, labels) {
		return nil, fmt.Errorf("cuda: correct-count: count overlaps its inputs")
	}
	var ar args
	ar.ptr(pl).ptr(pb).ptr(pc).ints(rows, classes)
	grid := [3]int{min(ceilDiv(rows, rowsPerBlock), 32*x.dev.sms), 1, 1}
	l, err := x.dev.newLaunch("correct_count_f32", grid, [3]int{32 * rowsPerBlock, 1, 1}, 0, ar, fmt.Sprintf("rows=%d classes=%d", rows, classes))
	if err != nil {
		return nil, err
	}
	return &Launch{x: x, ls: []launch{l}}, nil
}
