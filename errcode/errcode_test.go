package errcode

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// declaredInSource returns the Code constants declared in this package's
// source, read with go/parser so that a constant added without a row in
// the table is caught.
func declaredInSource(t *testing.T) map[Code]string {
	t.Helper()
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[Code]string{}
	fset := token.NewFileSet()
	for _, name := range pkg.GoFiles {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
					t.Errorf("%s: constant %s is not declared as a Code", name, vs.Names[0])
					continue
				}
				for i, n := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok {
						t.Fatalf("%s: %s is not a string literal", name, n)
					}
					v, _ := strconv.Unquote(lit.Value)
					if prev, dup := out[Code(v)]; dup {
						t.Errorf("%q is declared twice: %s and %s", v, prev, n)
					}
					out[Code(v)] = n.Name
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no constants found")
	}
	return out
}

// Every declared code has a row, and every row a declared code; every
// code the user can meet as itself has both texts, and every other one
// says what the user meets instead.
func TestEveryDeclaredCodeExplained(t *testing.T) {
	src := declaredInSource(t)
	for c, name := range src {
		e, ok := lookup(c)
		if !ok {
			t.Errorf("%s (%q) has no row in the table", name, c)
			continue
		}
		if (e.en == "") != (e.ja == "") {
			t.Errorf("%s: en %q, ja %q: both or neither", name, e.en, e.ja)
		}
		if e.en == "" && e.problem == nil && e.page == "" {
			t.Errorf("%s has no texts and nothing that explains it", name)
		}
		if e.en != "" && e.en == e.ja {
			t.Errorf("%s: ja is the English text", name)
		}
		if p := e.problem; p != nil {
			if p.status < 400 || p.status > 599 || p.title == "" {
				t.Errorf("%s: problem %+v", name, *p)
			}
			if shown, _ := FromPortal(c); !HasMessage(shown) {
				t.Errorf("%s: the host shows it as %q, which has no texts", name, shown)
			}
		}
	}
	seen := map[Code]bool{}
	for _, r := range rows {
		if _, ok := src[r.code]; !ok {
			t.Errorf("row %q is not a declared constant", r.code)
		}
		if seen[r.code] {
			t.Errorf("code %q has two rows", r.code)
		}
		seen[r.code] = true
	}
	if got := Declared(); len(got) != len(src) || !slices.IsSorted(got) {
		t.Errorf("Declared() has %d codes, the source %d", len(got), len(src))
	}
}

func TestMessage(t *testing.T) {
	if Message(BadPassword, "ja-JP") == Message(BadPassword, "en-US") {
		t.Fatal("ja and en are the same")
	}
	if Message(BadPassword, "JA") != must(lookup(BadPassword)).ja {
		t.Fatal("language tags are not case-insensitive")
	}
	if Message("no_such_code", "en") != must(lookup(Internal)).en || Message(NotIssued, "ja") != must(lookup(Internal)).ja {
		t.Fatal("a code without texts does not fall back to internal")
	}
}

func TestFromPortal(t *testing.T) {
	for c, want := range map[Code]Code{BadPassword: BadPassword, NotIssued: KeyRefused, KeyReuse: ServerRejected, LinkUsed: LinkUsed} {
		if got, ok := FromPortal(c); !ok || got != want {
			t.Errorf("%s: %s %v, want %s", c, got, ok, want)
		}
	}
	for _, c := range []Code{HostMissing, LinkOtherUser, "something_new"} {
		if _, ok := FromPortal(c); ok {
			t.Errorf("%s is not a problem code", c)
		}
	}
}

// The extension's scripts, which cannot import this package, raise only
// declared codes.
func TestExtensionRaisesDeclaredCodes(t *testing.T) {
	files, err := filepath.Glob("../extension/*.js")
	if err != nil || len(files) == 0 {
		t.Fatalf("no extension scripts: %v", err)
	}
	n := 0
	for _, name := range files {
		js, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`\bcode: "([a-z_]+)"`).FindAllSubmatch(js, -1) {
			n++
			if _, ok := lookup(Code(m[1])); !ok {
				t.Errorf("%s raises %q, which is not declared", name, m[1])
			}
		}
	}
	if n < 5 {
		t.Fatalf("only %d codes found in the extension's scripts", n)
	}
}

// A wrong password at renewal names the password only (a renewal asks for
// nothing else) and says the current certificate still works (issue 17).
func TestRenewalMessage(t *testing.T) {
	if m := RenewalMessage(BadPassword, "en"); m == "" || strings.Contains(m, "user ID") || !strings.Contains(m, "password is incorrect") || !strings.Contains(m, "current certificate still works") {
		t.Errorf("en: %q", m)
	}
	if m := RenewalMessage(BadPassword, "ja-JP"); strings.Contains(m, "ユーザーID") || !strings.Contains(m, "パスワードが正しくありません") || !strings.Contains(m, "現在の証明書は引き続き使用できます") {
		t.Errorf("ja: %q", m)
	}
	if m := RenewalMessage(ServerUnreachable, "en"); m != "" {
		t.Errorf("a code with one text has a renewal text %q", m)
	}
}

func must(e entry, ok bool) entry {
	if !ok {
		panic("no row")
	}
	return e
}
