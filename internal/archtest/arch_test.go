// Package archtest holds the house's structure to the rules
// docs/architecture.md states, so that they stay true: packages of one job
// (at most 3,000 lines), types of at most 40 methods, interfaces of at most
// 15, and the import rules between the layers.
package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const (
	maxPackageLines     = 3000
	maxMethods          = 40
	maxInterfaceMethods = 15
	module              = "github.com/sesame-email/sesame"
)

// pkg is one package of the module, as parsed (tests and generated code
// left out).
type pkg struct {
	path    string
	lines   int
	imports map[string]bool
	methods map[string]int                // by receiver type
	ifaces  map[string]*ast.InterfaceType // by name
}

func loadModule(t *testing.T) map[string]*pkg {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	pkgs := map[string]*pkg{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
		if err != nil {
			return err
		}
		if ast.IsGenerated(f) {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		ip := module
		if rel != "." {
			ip += "/" + filepath.ToSlash(rel)
		}
		p := pkgs[ip]
		if p == nil {
			p = &pkg{path: ip, imports: map[string]bool{}, methods: map[string]int{}, ifaces: map[string]*ast.InterfaceType{}}
			pkgs[ip] = p
		}
		p.lines += strings.Count(string(src), "\n")
		for _, imp := range f.Imports {
			p.imports[strings.Trim(imp.Path.Value, `"`)] = true
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Recv != nil {
					p.methods[receiverName(d.Recv.List[0].Type)]++
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					if ts, ok := spec.(*ast.TypeSpec); ok {
						if it, ok := ts.Type.(*ast.InterfaceType); ok {
							p.ifaces[ts.Name.Name] = it
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func receiverName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return receiverName(e.X)
	case *ast.IndexExpr:
		return receiverName(e.X)
	case *ast.Ident:
		return e.Name
	}
	return "?"
}

// interfaceMethods counts an interface's methods, those of the interfaces
// it embeds included (the module's own; a library's count as one).
func interfaceMethods(pkgs map[string]*pkg, p *pkg, it *ast.InterfaceType) int {
	n := 0
	for _, m := range it.Methods.List {
		if len(m.Names) > 0 {
			n += len(m.Names)
			continue
		}
		embedded := p.ifaces[receiverName(m.Type)]
		if embedded == nil {
			n++
			continue
		}
		n += interfaceMethods(pkgs, p, embedded)
	}
	return n
}

func TestPackagesAreSmall(t *testing.T) {
	for _, p := range loadModule(t) {
		if p.lines > maxPackageLines {
			t.Errorf("%s has %d lines (tests and generated code left out), over %d: split it by job", p.path, p.lines, maxPackageLines)
		}
	}
}

func TestTypesAndInterfacesAreNarrow(t *testing.T) {
	pkgs := loadModule(t)
	for _, p := range pkgs {
		for typ, n := range p.methods {
			if n > maxMethods {
				t.Errorf("%s.%s has %d methods, over %d", p.path, typ, n, maxMethods)
			}
		}
		for name, it := range p.ifaces {
			if n := interfaceMethods(pkgs, p, it); n > maxInterfaceMethods {
				t.Errorf("interface %s.%s has %d methods, over %d: declare what the user needs", p.path, name, n, maxInterfaceMethods)
			}
		}
	}
}

// The layers: handlers, web and views reach the database only through
// the models' services and stores, never a database package themselves;
// the models know nothing of HTTP, echo or templ.
func TestImportRules(t *testing.T) {
	database := []string{"gorm.io/", "database/sql", module + "/models/db", module + "/models/store", "github.com/jackc/", "modernc.org/sqlite", "github.com/libtnb/sqlite"}
	web := []string{"net/http", "github.com/labstack/echo", "github.com/a-h/templ", module + "/handlers", module + "/web", module + "/views"}
	for _, p := range loadModule(t) {
		var banned []string
		switch {
		case under(p.path, "handlers"), under(p.path, "web"), under(p.path, "views"):
			banned = database
		case under(p.path, "models"):
			banned = web
		}
		for imp := range p.imports {
			for _, b := range banned {
				if strings.HasPrefix(imp, b) {
					t.Errorf("%s imports %s", p.path, imp)
				}
			}
		}
	}
}

func under(path, top string) bool {
	return path == module+"/"+top || strings.HasPrefix(path, module+"/"+top+"/")
}
