package main

import (
	"debug/elf"
	"fmt"
	"strconv"
	"strings"
)

// Glibc returns the glibc version a Linux binary needs: the highest
// GLIBC_x.y version among the symbols it imports, as "x.y", or "" for a
// statically linked binary (no cgo), which needs no C library at all. The
// packages' libc dependency and BUILDS.txt are both read from it, so they
// say the same as the binary.
func Glibc(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	syms, err := f.ImportedSymbols()
	if err != nil {
		if f.Section(".dynsym") == nil {
			return "", nil // static
		}
		return "", fmt.Errorf("%s: imported symbols: %w", path, err)
	}
	versions := make([]string, 0, len(syms))
	for _, s := range syms {
		versions = append(versions, s.Version)
	}
	return maxGlibc(versions), nil
}

// maxGlibc returns the highest "x.y[.z]" of the GLIBC_x.y[.z] versions.
func maxGlibc(versions []string) string {
	var best []int
	var bestS string
	for _, v := range versions {
		n, ok := strings.CutPrefix(v, "GLIBC_")
		if !ok {
			continue // GLIBC_PRIVATE, other libraries' versions
		}
		parts, ok := parseVersion(n)
		if !ok {
			continue
		}
		if best == nil || compareVersions(parts, best) > 0 {
			best, bestS = parts, n
		}
	}
	return bestS
}

func parseVersion(s string) ([]int, bool) {
	var out []int
	for _, p := range strings.Split(s, ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, false
		}
		out = append(out, n)
	}
	return out, len(out) > 0
}

func compareVersions(a, b []int) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

// libcDepends is the package dependency for a binary needing glibc
// version v ("" for none): Debian's libc6 or the RPM world's glibc.
func libcDepends(format, v string) []string {
	switch {
	case v == "":
		return nil
	case format == "rpm":
		return []string{"glibc >= " + v}
	}
	return []string{"libc6 (>= " + v + ")"}
}

// libcNote is BUILDS.txt's word on the C library a binary needs.
func libcNote(t Target, v string) string {
	switch {
	case t.OS != "linux":
		return ""
	case v == "":
		return "static (no libc needed)"
	}
	return "dynamic, needs glibc >= " + v + " (packages depend on it)"
}
