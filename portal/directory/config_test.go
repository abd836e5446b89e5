package directory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const good = `{"url": "ldaps://dc.example.org", "ca_file": "ca.pem", "kind": "ad",
	"bind_dn": "CN=certrenew,OU=Services,DC=example,DC=org", "bind_password_env": "CERTRENEW_DIRECTORY_PASSWORD",
	"user_base": "OU=People,DC=example,DC=org",
	"groups": {"reissue": ["CN=PKI,OU=Groups,DC=example,DC=org"], "renewal_auth": {"CN=Auto,OU=Groups,DC=example,DC=org": "certificate"}}}`

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if c.GroupAttribute != "memberOf" || c.IDAttribute != "sAMAccountName" || !strings.Contains(c.UserFilter, "sAMAccountName={user}") || c.DisabledFilter != "" {
		t.Errorf("ad defaults: %+v", c)
	}
	o, err := ParseConfig([]byte(strings.NewReplacer(`"kind": "ad"`, `"kind": "openldap"`, "ldaps://dc.example.org", "ldap://dc.example.org:389", `"ca_file"`, `"start_tls": true, "group_base": "OU=Groups,DC=example,DC=org", "ca_file"`).Replace(good)))
	if err != nil {
		t.Fatal(err)
	}
	if o.DisabledFilter != "(pwdAccountLockedTime=000001010000Z)" || o.GroupAttribute != "" || !strings.Contains(o.GroupFilter, "{dn}") {
		t.Errorf("openldap defaults: %+v", o)
	}
	for name, bad := range map[string]string{
		"plain ldap":         strings.Replace(good, "ldaps://", "ldap://", 1),
		"starttls on ldaps":  strings.Replace(good, `"ca_file"`, `"start_tls": true, "ca_file"`, 1),
		"other scheme":       strings.Replace(good, "ldaps://", "https://", 1),
		"no CA":              strings.Replace(good, `"ca_file": "ca.pem",`, "", 1),
		"unknown field":      strings.Replace(good, `"kind"`, `"insecure_skip_verify": true, "kind"`, 1),
		"password in file":   strings.Replace(good, `"bind_password_env"`, `"bind_password": "x", "bind_password_env"`, 1),
		"two password ways":  strings.Replace(good, `"bind_password_env"`, `"bind_password_file": "f", "bind_password_env"`, 1),
		"no password way":    strings.Replace(good, `"bind_password_env": "CERTRENEW_DIRECTORY_PASSWORD",`, "", 1),
		"kind":               strings.Replace(good, `"ad"`, `"novell"`, 1),
		"bad DN":             strings.Replace(good, "OU=People,DC", "OU=People,,=DC", 1),
		"filter without ID":  strings.Replace(good, `"user_base"`, `"user_filter": "(uid=alice)", "user_base"`, 1),
		"filter syntax":      strings.Replace(good, `"user_base"`, `"user_filter": "(uid={user}", "user_base"`, 1),
		"renewal value":      strings.Replace(good, `"certificate"`, `"none"`, 1),
		"group DN":           strings.Replace(good, `"CN=PKI,OU=Groups,DC=example,DC=org"`, `"PKI"`, 1),
		"timeout":            strings.Replace(good, `"kind"`, `"timeout": "forever", "kind"`, 1),
		"trailing data":      good + "{}",
		"no group base":      strings.Replace(good, `"kind": "ad"`, `"kind": "openldap"`, 1),
		"url with user":      strings.Replace(good, "ldaps://", "ldaps://admin@", 1),
		"url with a path DN": strings.Replace(good, "dc.example.org", "dc.example.org/dc=example", 1),
		"id attribute":       strings.Replace(good, `"kind"`, `"id_attribute": "uid)(x=*", "kind"`, 1),
	} {
		if _, err := ParseConfig([]byte(bad)); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}

// fill escapes what it puts into a filter: an ID is a value, never
// filter syntax (RFC 4515, Section 3).
func TestFillEscapes(t *testing.T) {
	got := fill("(&(uid={user})(member={dn}))", "a*)(uid=*", `cn=x\2a,o=y`)
	want := `(&(uid=a\2a\29\28uid=\2a)(member=cn=x\5c2a,o=y))`
	if got != want {
		t.Errorf("fill = %s, want %s", got, want)
	}
}

func TestBindPassword(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "pw")
	if err := os.WriteFile(f, []byte("s3cret\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if pw, err := bindPassword(f, ""); err != nil || pw != "s3cret" {
		t.Errorf("file: %q, %v", pw, err)
	}
	os.Chmod(f, 0o644)
	if _, err := bindPassword(f, ""); !errors.Is(err, ErrConfig) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("world-readable file: %v", err)
	}
	t.Setenv("CERTRENEW_TEST_PW", "env-secret")
	if pw, err := bindPassword("", "CERTRENEW_TEST_PW"); err != nil || pw != "env-secret" {
		t.Errorf("env: %q, %v", pw, err)
	}
	if _, err := bindPassword("", "CERTRENEW_TEST_UNSET"); !errors.Is(err, ErrConfig) {
		t.Errorf("unset env: %v", err)
	}
}

// FuzzParseConfig: whatever the file holds, ParseConfig answers a checked
// Config or ErrConfig, never panics, and a Config it accepts is one New
// takes.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte(`{"url": "ldap://h", "start_tls": true, "ca_file": "c", "kind": "openldap", "bind_dn": "cn=a", "bind_password_file": "p", "user_base": "o=b", "user_filter": "(|(uid={user})(mail={user}))", "disabled_filter": "(!(x=*))"}`))
	f.Add([]byte(`{"kind": "ad"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error not ErrConfig: %v", err)
			}
			return
		}
		if _, err := New(c, nil, "pw"); err != nil {
			t.Fatalf("New refuses what ParseConfig took: %v", err)
		}
	})
}
