package est

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/errcode"
)

// Every declared code the portal sends goes out as itself, with errcode's
// status and title, and the README's table of errors lists it with that
// status (and lists nothing else).
func TestEveryProblemCodeSentAndDocumented(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[errcode.Code]int{}
	for _, row := range regexp.MustCompile("(?m)^\\| (\\d{3}) \\| (.+?) \\|").FindAllSubmatch(readme, -1) {
		status, _ := strconv.Atoi(string(row[1]))
		for _, c := range regexp.MustCompile("`([a-z_]+)`").FindAllSubmatch(row[2], -1) {
			documented[errcode.Code(c[1])] = status
		}
	}
	n := 0
	for _, c := range errcode.Declared() {
		status, title, ok := errcode.Problem(c)
		if !ok {
			if _, listed := documented[c]; listed {
				t.Errorf("README lists %s, which the portal never sends", c)
			}
			continue
		}
		n++
		w := httptest.NewRecorder()
		WriteError(w, zerolog.Nop(), NewProblem(c, ""))
		var body Problem
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != status || body.Code != c || body.Title != title {
			t.Errorf("%s: sent %d %+v (%v), want %d %q", c, w.Code, body, err, status, title)
		}
		if documented[c] != status {
			t.Errorf("%s: README says status %d, errcode %d", c, documented[c], status)
		}
	}
	if n != len(documented) || n < 20 {
		t.Errorf("%d problem codes, %d in the README", n, len(documented))
	}
}
