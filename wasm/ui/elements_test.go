package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// goAppElements are go-app v9's typed element constructors (app.Div() …).
var goAppElements = strings.Split("A|Abbr|Address|Area|Article|Aside|Audio|B|Base|Bdi|Bdo|Blockquote|Body|Br|Button|Canvas|Caption|Cite|Code|Col|ColGroup|Data|DataList|Dd|Del|Details|Dfn|Dialog|Div|Dl|Dt|Em|Embed|FieldSet|FigCaption|Figure|Footer|Form|H1|H2|H3|H4|H5|H6|Head|Header|Hr|Html|I|IFrame|Img|Input|Ins|Kbd|Label|Legend|Li|Link|Main|Map|Mark|Meta|Meter|Nav|NoScript|Object|Ol|OptGroup|Option|Output|P|Param|Picture|Pre|Progress|Q|Rp|Rt|Ruby|S|Samp|Script|Section|Select|Small|Source|Span|Strong|Style|Sub|Summary|Sup|Table|TBody|Td|Template|Textarea|TFoot|Th|THead|Time|Title|Tr|U|Ul|Var|Video|Wbr", "|")

// TestOneElementType keeps the UI on app.Elem and app.ElemSelfClosing.
// Each of go-app's typed elements is a Go type of its own with about a
// hundred methods, and each one used adds its code and type data to
// app.wasm, which the popup downloads and compiles at every open: moving
// the UI's 30 typed elements to the generic ones took 377 KB off app.wasm
// (8.25 → 7.87 MB) and a third off what the UI adds to a bare go-app page
// (docs/extension.md, "Opening the popup quickly").
func TestOneElementType(t *testing.T) {
	typed := map[string]bool{}
	for _, n := range goAppElements {
		typed[n] = true
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "app" {
				return true
			}
			id := sel.Sel.Name
			if typed[id] || (strings.HasPrefix(id, "HTML") && typed[id[4:]]) {
				t.Errorf("%s: app.%s: use app.Elem / app.ElemSelfClosing (one element type in the WASM)", fset.Position(sel.Pos()), id)
			}
			return true
		})
	}
}
