package cli

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

// fakeTerminal answers prompts in order and records them.
type fakeTerminal struct {
	answers []string
	prompts []string
}

func (f *fakeTerminal) ReadSecret(prompt string) (string, error) {
	f.prompts = append(f.prompts, prompt)
	if len(f.answers) == 0 {
		return "", io.EOF
	}
	a := f.answers[0]
	f.answers = f.answers[1:]
	return a, nil
}

// TestAskSecrets: at a terminal each secret asked for gets its own prompt,
// one not asked for (the PIN without --pin-stdin) none; an empty answer or
// end of input is a usage error that names the secret, never an answer.
func TestAskSecrets(t *testing.T) {
	ft := &fakeTerminal{answers: []string{"pw-secret", "code-secret"}}
	got, err := askSecrets(ft, "password", "invitation code", pinIf(false))
	if err != nil || !slices.Equal(got, []string{"pw-secret", "code-secret", ""}) {
		t.Fatalf("askSecrets = %q, %v", got, err)
	}
	if want := []string{"Password (not shown): ", "Invitation code (not shown): "}; !slices.Equal(ft.prompts, want) {
		t.Fatalf("prompts %q, want %q", ft.prompts, want)
	}
	for _, tc := range []struct {
		answers []string
		want    string
	}{
		{[]string{"pw-secret", ""}, "the invitation code entered is empty"},
		{[]string{"pw-secret", "code-secret"}, "no PIN entered"},
	} {
		_, err := askSecrets(&fakeTerminal{answers: tc.answers}, "password", "invitation code", pinIf(true))
		if err == nil || !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("answers %q: error %v, want usage error %q that echoes nothing", tc.answers, err, tc.want)
		}
	}
}
