package i18n

import "testing"

func TestTextWith(t *testing.T) {
	for _, c := range []struct {
		t    Text
		args []string
		want string
	}{
		{"Copy {1}", []string{"Subject"}, "Copy Subject"},
		{"{1} ({2}, {3})", []string{"a", "b", "c"}, "a (b, c)"},
		{"{2} に {1}", []string{"x", "y"}, "y に x"},
		// A value is not read for holes; missing values and other braces stay.
		{"{1} and {2}", []string{"{2}"}, "{2} and {2}"},
		{"{a} {} {", nil, "{a} {} {"},
		{"「{1}」", []string{"証明書"}, "「証明書」"},
	} {
		if got := c.t.With(c.args...); got != c.want {
			t.Errorf("%q.With(%q) = %q, want %q", c.t, c.args, got, c.want)
		}
	}
}
