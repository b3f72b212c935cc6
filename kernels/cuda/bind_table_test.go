package cuda

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/kernels"
)

// TestBinderTableSource is the completeness check of the op table that
// needs no GPU: the table and its binders are gpu-tagged (a gpu test binary
// cannot start without a device), so this reads their source. Every Op
// constant of kernels/ops.go but OpInvalid must be a key of binders in
// bind.go, bound with typed() to a function that one of the bind*.go files
// declares. TestBinderTable (gpu tag) checks the compiled table itself.
func TestBinderTableSource(t *testing.T) {
	fset := token.NewFileSet()
	ops := opConstants(t, fset)
	if len(ops) != kernels.NumOps {
		t.Fatalf("kernels/ops.go declares %d ops from OpInvalid to numOps, kernels.NumOps is %d", len(ops), kernels.NumOps)
	}

	files, err := filepath.Glob("bind*.go")
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	var table *ast.CompositeLit
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					declared[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					if v, ok := s.(*ast.ValueSpec); ok && len(v.Names) == 1 && v.Names[0].Name == "binders" && len(v.Values) == 1 {
						table, _ = v.Values[0].(*ast.CompositeLit)
					}
				}
			}
		}
	}
	if table == nil {
		t.Fatal("no `var binders = [kernels.NumOps]opBinder{...}` in kernels/cuda/bind*.go")
	}

	bound := map[string]string{}
	for _, e := range table.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			t.Fatalf("binders entry at %s is not keyed by op", fset.Position(e.Pos()))
		}
		key, ok := kv.Key.(*ast.SelectorExpr)
		if !ok {
			t.Fatalf("binders key at %s is not kernels.OpX", fset.Position(kv.Pos()))
		}
		call, ok := kv.Value.(*ast.CallExpr)
		fn, isIdent := ast.Expr(nil), false
		if ok && len(call.Args) == 1 {
			fn = call.Args[0]
			_, isIdent = fn.(*ast.Ident)
		}
		if !ok || !isIdent || call.Fun.(*ast.Ident).Name != "typed" {
			t.Errorf("binders[%s] at %s is not typed(bindX)", key.Sel.Name, fset.Position(kv.Pos()))
			continue
		}
		name := fn.(*ast.Ident).Name
		if !declared[name] {
			t.Errorf("binders[%s] is %s, which no bind*.go file declares", key.Sel.Name, name)
		}
		bound[key.Sel.Name] = name
	}
	for _, op := range ops[1:] {
		if bound[op] == "" {
			t.Errorf("kernels.%s has no binder on the cuda backend", op)
		}
	}
}

// opConstants lists the Op constants of kernels/ops.go in order, from
// OpInvalid up to (not including) numOps.
func opConstants(t *testing.T, fset *token.FileSet) []string {
	t.Helper()
	f, err := parser.ParseFile(fset, filepath.Join("..", "ops.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST || len(g.Specs) == 0 || g.Specs[0].(*ast.ValueSpec).Names[0].Name != "OpInvalid" {
			continue
		}
		var names []string
		for _, s := range g.Specs {
			n := s.(*ast.ValueSpec).Names[0].Name
			if n == "numOps" {
				return names
			}
			names = append(names, n)
		}
	}
	t.Fatal("no const block from OpInvalid to numOps in kernels/ops.go")
	return nil
}
