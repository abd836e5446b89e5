package main

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/certrenew/certrenew/portal/ca"
	"github.com/certrenew/certrenew/portal/mobileconfig"
	"github.com/certrenew/certrenew/portal/scep"
)

// publicURLFile is where `serve` notes the public URL it serves, for the
// commands that put it into what they make (profile).
const publicURLFile = "public-url"

// profile writes a signed configuration profile (iOS, iPadOS, macOS) that
// re-issues the user's certificate over SCEP to stdout, for an MDM push.
// It holds a new one-time challenge, which is never printed elsewhere or
// logged.
func profile(f *flags) action {
	user := f.String("user", "", "user ID")
	platform := f.String("platform", "", "ios (also iPadOS) or macos")
	serial := f.String("serial", "", "the certificate to re-issue (hex); default the user's newest active one")
	public := f.String("public-url", "", "the portal's https origin; default the one `serve` last noted in DATA/"+publicURLFile)
	ttl := f.Duration("ttl", scep.DefaultChallengeTTL, "lifetime of the profile's one-time challenge")
	trust := f.String("server-trust-ca", "", "comma-separated SHA-256 fingerprints of roots the organisation trusts for servers (docs/trust.md); default none")
	return action{
		check: func(c *call) error {
			if err := needs("profile", "user", user)(c); err != nil {
				return err
			}
			if *platform != mobileconfig.IOS && *platform != mobileconfig.MacOS {
				return usagef("profile needs --platform ios or --platform macos")
			}
			return nil
		},
		do: func(c *call) error {
			url := *public
			if url == "" {
				b, err := os.ReadFile(filepath.Join(c.dir, publicURLFile))
				if err != nil {
					return fmt.Errorf("no --public-url, and no URL noted by serve: %w", err)
				}
				url = strings.TrimSpace(string(b))
			}
			var fps [][]byte
			for _, s := range strings.Split(*trust, ",") {
				if s = strings.ReplaceAll(strings.TrimSpace(s), ":", ""); s == "" {
					continue
				}
				fp, err := hex.DecodeString(s)
				if err != nil || len(fp) != 32 {
					return usagef("--server-trust-ca %q is not a SHA-256 fingerprint", s)
				}
				fps = append(fps, fp)
			}
			authority, err := ca.Load(filepath.Join(c.dir, "ca"))
			if err != nil {
				return err
			}
			der, sn, err := scep.MakeProfile(c.ctx, scep.ProfileRequest{
				Store: c.store, CA: authority, PublicURL: url, User: *user, Serial: *serial,
				Platform: *platform, ChallengeTTL: *ttl, Now: authority.Now(), ServerTrust: fps,
			})
			if err != nil {
				return err
			}
			c.log.Info().Str("user", *user).Str("serial", sn).Str("platform", *platform).Msg("configuration profile made")
			_, err = c.stdout.Write(der)
			return err
		},
	}
}
