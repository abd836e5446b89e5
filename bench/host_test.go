package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/internal/testenv"
)

// BenchmarkHostSession measures what the browser pays each time it starts
// the host: spawn, hello, one list, EOF, exit. certrenew-nm is what the
// manifests name and the browser starts (host/front: it answers hello and
// list without starting certrenew-host); the echohost sub-benchmark is the
// baseline, the same framing with nothing behind it; certrenew-host is
// the full host started directly, as browsers did before the front, for
// comparison.
func BenchmarkHostSession(b *testing.B) {
	testenv.Need(b, "certutil", "pk12util")
	hosts := []struct{ name, bin string }{
		{"echohost", echoHostBinary(b)},
		{"certrenew-nm", frontBinary(b)},
		{"certrenew-host", hostBinary(b)},
	}
	echo := hosts[0].bin
	for _, h := range hosts {
		b.Run(h.name, func(b *testing.B) {
			home := b.TempDir()
			env := append(os.Environ(), "HOME="+home, "CERTRENEW_HOME="+filepath.Join(home, "state"), "XDG_CONFIG_HOME=", "LANG=C")
			// The first start creates the NSS DB and the state directory
			// (certrenew-nm: through certrenew-host, which leaves the
			// start-up record the front answers from); a browser pays that
			// once, so it is not measured.
			if _, err := hostSession(h.bin, env); err != nil {
				b.Fatal(err)
			}
			// certrenew-nm also runs an echohost session each iteration,
			// in alternating order, so that a busy machine's drift hits
			// both alike (echo-median-ms, and their ratio paired-ratio).
			paired := h.name == "certrenew-nm"
			var s, e samples
			i := 0
			for b.Loop() {
				if paired && i%2 == 1 {
					e = append(e, session(b, echo, env))
				}
				s = append(s, session(b, h.bin, env))
				if paired && i%2 == 0 {
					e = append(e, session(b, echo, env))
				}
				i++
			}
			s.report(b, "")
			if paired {
				// ns/op counts both sessions of an iteration.
				var sum time.Duration
				for _, d := range s {
					sum += d
				}
				b.ReportMetric(ms(sum/time.Duration(len(s))), "mean-ms")
				e.report(b, "echo-")
				b.ReportMetric(float64(s.percentile(50))/float64(e.percentile(50)), "paired-ratio")
			}
		})
	}
}

// session is hostSession that ends the benchmark on an error.
func session(b *testing.B, bin string, env []string) time.Duration {
	b.Helper()
	d, err := hostSession(bin, env)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// hostSession runs one native messaging session as Chrome would and
// returns how long it took from spawn to exit.
func hostSession(bin string, env []string) (time.Duration, error) {
	start := time.Now()
	cmd := exec.Command(bin, origin)
	cmd.Env = env
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	fail := func(err error) (time.Duration, error) {
		cmd.Process.Kill()
		cmd.Wait()
		return 0, fmt.Errorf("%s: %w", filepath.Base(bin), err)
	}
	hello, err := readReply(stdout)
	if err != nil {
		return fail(err)
	}
	if hello.Type != proto.TypeHello || hello.Hello == nil {
		return fail(fmt.Errorf("first frame is %q, not hello (error: %+v)", hello.Type, hello.Error))
	}
	req, _ := json.Marshal(proto.Request{ID: "1", Command: proto.CmdList})
	if err := proto.WriteFrame(stdin, req, proto.MaxRequestFrame); err != nil {
		return fail(err)
	}
	res, err := readReply(stdout)
	if err != nil {
		return fail(err)
	}
	var lr proto.ListResult
	if res.Type != proto.TypeResult || res.ID != "1" || json.Unmarshal(res.Result, &lr) != nil || lr.Certs == nil {
		return fail(fmt.Errorf("list answered %+v", res))
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		return 0, fmt.Errorf("%s: exit: %w", filepath.Base(bin), err)
	}
	return time.Since(start), nil
}

func readReply(r interface{ Read([]byte) (int, error) }) (*proto.Reply, error) {
	b, err := proto.ReadFrame(r, proto.MaxHostFrame)
	if err != nil {
		return nil, fmt.Errorf("reading a frame: %w", err)
	}
	var rep proto.Reply
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("frame %q: %w", b, err)
	}
	return &rep, nil
}
