//go:build cgo

// Package softokn opens an NSS database (cert9.db, key4.db) in process
// through NSS's own PKCS#11 module, libsoftokn3, the code that Chromium and
// Firefox use on the same files. It gives certrenew exact, fast access to
// the database's objects: a certificate named by issuer and serial (the
// NSS tools can only name one by nickname, which every certificate of a
// subject shares), a key by its CKA_ID, keys generated inside the database
// as sensitive and never extractable.
//
// It lives under hsm/ because it makes and uses keys: the key backend
// hsm/nsskey is built on it. The OS store host/store/nss uses its
// certificate and trust objects, which it pairs with keys by CKA_ID.
//
// softokn takes its configuration in the pReserved field of
// CK_C_INITIALIZE_ARGS ("configdir='sql:DIR' ..."; NSS's
// lib/softoken/sftkpars.c), and one process can have it initialized once:
// Open shares one initialization per directory and refuses a second
// directory while the first is open.
package softokn

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	p11 "github.com/miekg/pkcs11"
)

// libraryGlobs are where distributions install libsoftokn3 (Debian and
// Ubuntu multiarch, Fedora and openSUSE lib64, Arch lib).
var libraryGlobs = []string{
	"/usr/lib/*-linux-gnu/libsoftokn3.so",
	"/usr/lib64/libsoftokn3.so",
	"/usr/lib/libsoftokn3.so",
	"/usr/lib/*-linux-gnu/nss/libsoftokn3.so",
}

// multiarch names this build's Debian multiarch directory, looked at first:
// a glob over /usr/lib/*-linux-gnu reads and sorts two large directories,
// a measurable part of every host start (hello announces the soft backend
// only where the library is found).
var multiarch = map[string]string{
	"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu", "386": "i386-linux-gnu",
	"arm": "arm-linux-gnueabihf", "riscv64": "riscv64-linux-gnu", "ppc64le": "powerpc64le-linux-gnu",
	"s390x": "s390x-linux-gnu",
}

// Library returns the path of libsoftokn3, or "". It looks once.
var Library = sync.OnceValue(func() string {
	if t, ok := multiarch[runtime.GOARCH]; ok {
		for _, p := range []string{"/usr/lib/" + t + "/libsoftokn3.so", "/usr/lib/" + t + "/nss/libsoftokn3.so"} {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	for _, g := range libraryGlobs {
		if m, _ := filepath.Glob(g); len(m) > 0 {
			return m[0]
		}
	}
	return ""
})

var (
	mu     sync.Mutex
	ctx    *p11.Ctx
	openOn string // the directory softokn is initialized on
	refs   int
)

// DB is an NSS database opened through softokn.
type DB struct {
	dir    string
	slot   uint
	mu     sync.Mutex
	closed bool
}

// Open initializes softokn on the database in dir (which must exist).
func Open(dir string) (*DB, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	if refs > 0 && openOn != dir {
		return nil, fmt.Errorf("%w: softokn is already open on %s in this process", ErrUnavailable, openOn)
	}
	if refs == 0 {
		if err := initialize(dir); err != nil {
			return nil, err
		}
	}
	slot, err := keySlot()
	if err != nil {
		if refs == 0 {
			finalize()
		}
		return nil, err
	}
	refs++
	return &DB{dir: dir, slot: slot}, nil
}

func initialize(dir string) error {
	if ctx == nil {
		lib := Library()
		if lib == "" {
			return fmt.Errorf("%w: libsoftokn3.so not found (install libnss3)", ErrUnavailable)
		}
		if ctx = p11.New(lib); ctx == nil {
			return fmt.Errorf("%w: cannot load %s", ErrUnavailable, lib)
		}
	}
	if strings.ContainsAny(dir, "'\"") {
		return fmt.Errorf("%w: database path %q has a quote", ErrUnavailable, dir)
	}
	params := []byte("configdir='sql:" + dir + "' certPrefix='' keyPrefix='' secmod='secmod.db' flags='' \x00")
	var pin runtime.Pinner
	pin.Pin(&params[0])
	defer pin.Unpin()
	if err := ctx.Initialize(p11.InitializeWithReserved(unsafe.Pointer(&params[0]))); err != nil {
		return fmt.Errorf("%w: initialize on %s: %v", ErrUnavailable, dir, err)
	}
	openOn = dir
	return nil
}

func finalize() {
	ctx.Finalize()
	openOn = ""
}

// keySlot finds the slot of the "NSS Certificate DB" token, where the
// database's certificates and keys live (the other slot, "NSS Generic
// Crypto Services", holds no token objects).
func keySlot() (uint, error) {
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return 0, fmt.Errorf("softokn: slots: %w", err)
	}
	for _, s := range slots {
		ti, err := ctx.GetTokenInfo(s)
		if err == nil && ti.Flags&p11.CKF_TOKEN_INITIALIZED != 0 && strings.TrimSpace(ti.Label) == "NSS Certificate DB" {
			return s, nil
		}
	}
	return 0, fmt.Errorf("%w: no NSS Certificate DB token (is it an NSS database?)", ErrUnavailable)
}

// Dir is the database directory.
func (db *DB) Dir() string { return db.dir }

// Close releases the database; the last Close finalizes softokn.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return nil
	}
	db.closed = true
	mu.Lock()
	defer mu.Unlock()
	if refs--; refs == 0 {
		finalize()
	}
	return nil
}

// session runs f on a read-write session logged in as the user (with the
// empty password of an unprotected database).
func (db *DB) session(f func(s session) error) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return fmt.Errorf("%w: closed", ErrUnavailable)
	}
	h, err := ctx.OpenSession(db.slot, p11.CKF_SERIAL_SESSION|p11.CKF_RW_SESSION)
	if err != nil {
		return fmt.Errorf("softokn: open session: %w", err)
	}
	defer ctx.CloseSession(h)
	if err := ctx.Login(h, p11.CKU_USER, ""); err != nil && !errors.Is(err, p11.Error(p11.CKR_USER_ALREADY_LOGGED_IN)) {
		if errors.Is(err, p11.Error(p11.CKR_PIN_INCORRECT)) {
			return ErrPassword
		}
		return fmt.Errorf("softokn: login: %w", err)
	}
	return f(session{h})
}

type session struct{ h p11.SessionHandle }

func (s session) find(tmpl []*p11.Attribute) ([]p11.ObjectHandle, error) {
	if err := ctx.FindObjectsInit(s.h, tmpl); err != nil {
		return nil, fmt.Errorf("softokn: find: %w", err)
	}
	defer ctx.FindObjectsFinal(s.h)
	var all []p11.ObjectHandle
	for {
		objs, _, err := ctx.FindObjects(s.h, 64)
		if err != nil {
			return nil, fmt.Errorf("softokn: find: %w", err)
		}
		if len(objs) == 0 {
			return all, nil
		}
		all = append(all, objs...)
	}
}

func (s session) attrs(o p11.ObjectHandle, types ...uint) ([][]byte, error) {
	tmpl := make([]*p11.Attribute, len(types))
	for i, t := range types {
		tmpl[i] = p11.NewAttribute(t, nil)
	}
	got, err := ctx.GetAttributeValue(s.h, o, tmpl)
	if err != nil {
		return nil, fmt.Errorf("softokn: read attributes: %w", err)
	}
	out := make([][]byte, len(types))
	for _, a := range got {
		for i, t := range types {
			if a.Type == t {
				out[i] = a.Value
			}
		}
	}
	return out, nil
}

// findAttrs reads the attributes types of every object that matches tmpl,
// one row per object in the order of types.
func (s session) findAttrs(tmpl []*p11.Attribute, types ...uint) ([][][]byte, error) {
	objs, err := s.find(tmpl)
	if err != nil {
		return nil, err
	}
	rows := make([][][]byte, 0, len(objs))
	for _, o := range objs {
		a, err := s.attrs(o, types...)
		if err != nil {
			return nil, err
		}
		rows = append(rows, a)
	}
	return rows, nil
}

// destroyAll destroys, in one session, every object that matches each
// template in turn.
func (db *DB) destroyAll(tmpls ...[]*p11.Attribute) error {
	return db.session(func(s session) error {
		for _, t := range tmpls {
			objs, err := s.find(t)
			if err != nil {
				return err
			}
			if err := s.destroy(objs); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s session) destroy(objs []p11.ObjectHandle) error {
	for _, o := range objs {
		if err := ctx.DestroyObject(s.h, o); err != nil {
			return fmt.Errorf("softokn: destroy object: %w", err)
		}
	}
	return nil
}
