package i18n

import (
	"reflect"
	"testing"

	"github.com/certrenew/certrenew/errcode"
)

// TestExtraComplete: every text of the Extra table is there in both
// languages, and each error about reaching the host has its own title.
func TestExtraComplete(t *testing.T) {
	for _, s := range []*Strings{For("en"), For("ja")} {
		x := reflect.ValueOf(*s.X())
		for i := 0; i < x.NumField(); i++ {
			if x.Field(i).IsZero() {
				t.Errorf("%s: Extra.%s is empty", s.Lang, x.Type().Field(i).Name)
			}
		}
		for _, c := range []errcode.Code{errcode.HostMissing, errcode.HostForbidden, errcode.HostDisconnected, errcode.HostFailed} {
			if s.X().HostTitles.Of(string(c)) == "" {
				t.Errorf("%s: no title for %s", s.Lang, c)
			}
		}
	}
	if For("ja").X().MenuRemove == For("en").X().MenuRemove {
		t.Error("the Japanese table is the English one")
	}
}
