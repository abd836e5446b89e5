package commands

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/proto"
)

// A busy portal's notice reaches the UI during the submit step with the
// wait in whole seconds (rounded up), and reads "retrying in N s" in
// English and Japanese; the OS's questions stay in the install step.
func TestBusyNoticeOnTheWire(t *testing.T) {
	var got []proto.Progress
	ctx, _ := reporting(context.Background(), "c1", func(p proto.Progress) { got = append(got, p) })
	for _, n := range []engine.Notice{
		{Kind: engine.NoticeServerBusy, RetryIn: 1500 * time.Millisecond},
		{Kind: engine.NoticeOSConfirmsRoot, Subject: "CN=Root"},
	} {
		engine.Notify(ctx, n)
	}
	if len(got) != 2 {
		t.Fatalf("%d progress replies", len(got))
	}
	busy, root := got[0], got[1]
	if busy.Step != proto.StepSubmit || busy.Notice == nil || busy.Notice.Kind != proto.NoticeServerBusy || busy.Notice.RetryIn != 2 || busy.CertID != "c1" {
		t.Fatalf("busy notice %+v %+v", busy, busy.Notice)
	}
	if root.Step != proto.StepInstall || root.Notice.Kind != proto.NoticeOSConfirmsRoot {
		t.Fatalf("root notice %+v", root)
	}
	en, ja := proto.NoticeText(*busy.Notice, "en"), proto.NoticeText(*busy.Notice, "ja-JP")
	if !strings.Contains(en, "busy, retrying in 2 s") || !strings.Contains(ja, "2 秒後") || en == ja {
		t.Fatalf("texts %q / %q", en, ja)
	}
}
