package limit

import (
	"errors"
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	w := &Window{Max: 3, Per: time.Minute, MaxKeys: 2, Now: func() time.Time { return now }}
	var refunds []func()
	for i := 0; i < 3; i++ {
		r, err := w.Take("a")
		if err != nil {
			t.Fatalf("take %d: %v", i, err)
		}
		refunds = append(refunds, r)
	}
	_, err := w.Take("a")
	var busy *BusyError
	if !errors.As(err, &busy) || !busy.Key || busy.RetryAfter != time.Minute {
		t.Fatalf("fourth take: %v", err)
	}
	// A refund, even called twice, gives back one use.
	refunds[0]()
	refunds[0]()
	if _, err := w.Take("a"); err != nil {
		t.Fatalf("take after refund: %v", err)
	}
	if _, err := w.Take("a"); err == nil {
		t.Fatal("a refund called twice gave back two uses")
	}
	// Another key has its own count; a third key finds no room.
	if _, err := w.Take("b"); err != nil {
		t.Fatalf("key b: %v", err)
	}
	if _, err := w.Take("c"); !errors.As(err, &busy) || busy.Key {
		t.Fatalf("key c with the table full: %v", err)
	}
	// Once the window ends, the key starts again, and old keys make room.
	now = now.Add(time.Minute)
	if _, err := w.Take("c"); err != nil {
		t.Fatalf("key c after the window: %v", err)
	}
	if _, err := w.Take("a"); err != nil {
		t.Fatalf("key a after the window: %v", err)
	}
	// A refund from an ended window does not touch the new one.
	refunds[1]()
	for i := 1; i < 3; i++ {
		if _, err := w.Take("a"); err != nil {
			t.Fatalf("take %d in the new window: %v", i, err)
		}
	}
	if _, err := w.Take("a"); err == nil {
		t.Fatal("an old window's refund was spent in the new one")
	}
}
