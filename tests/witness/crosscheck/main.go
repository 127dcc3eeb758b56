// Command crosscheck is an independent cosignature/v1 implementation (c2sp.org/tlog-cosignature),
// written in Go from the spec on top of golang.org/x/mod/sumdb/note, used to check the Python
// one (tests/witness/test_cosignature.py holds its output as a vector; CI does not need Go).
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run main.go sign SEEDHEX NAME TIME < body
//	GO111MODULE=off GOPATH=/usr/share/gocode go run main.go verify VKEY < note
//
// On Debian: apt-get install golang-go golang-golang-x-mod-dev.
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

const alg = 0x04

func keyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write([]byte{alg})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil)[:4])
}

func signed(t uint64, text []byte) []byte {
	return append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", t)), text...)
}

type signer struct {
	name string
	key  ed25519.PrivateKey
	time uint64
}

func (s signer) Name() string    { return s.name }
func (s signer) KeyHash() uint32 { return keyHash(s.name, s.key.Public().(ed25519.PublicKey)) }
func (s signer) Sign(msg []byte) ([]byte, error) {
	out := binary.BigEndian.AppendUint64(nil, s.time)
	return append(out, ed25519.Sign(s.key, signed(s.time, msg))...), nil
}

type verifier struct {
	name string
	pub  ed25519.PublicKey
}

func (v verifier) Name() string    { return v.name }
func (v verifier) KeyHash() uint32 { return keyHash(v.name, v.pub) }
func (v verifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	return t < 1<<63 && ed25519.Verify(v.pub, signed(t, msg), sig[8:])
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "error:", err)
	os.Exit(1)
}

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	switch os.Args[1] {
	case "sign":
		seed, err := hex.DecodeString(os.Args[2])
		if err != nil {
			fail(err)
		}
		t, err := strconv.ParseUint(os.Args[4], 10, 63)
		if err != nil {
			fail(err)
		}
		s := signer{os.Args[3], ed25519.NewKeyFromSeed(seed), t}
		n, err := note.Sign(&note.Note{Text: string(in)}, s)
		if err != nil {
			fail(err)
		}
		pub := s.key.Public().(ed25519.PublicKey)
		fmt.Fprintf(os.Stderr, "vkey %s+%08x+%s\n", s.name, s.KeyHash(),
			base64.StdEncoding.EncodeToString(append([]byte{alg}, pub...)))
		os.Stdout.Write(n)
	case "verify":
		parts := strings.SplitN(os.Args[2], "+", 3)
		raw, err := base64.StdEncoding.DecodeString(parts[2])
		if err != nil || len(raw) != 33 || raw[0] != alg {
			fail(fmt.Errorf("not a cosignature/v1 vkey"))
		}
		v := verifier{parts[0], ed25519.PublicKey(raw[1:])}
		if fmt.Sprintf("%08x", v.KeyHash()) != parts[1] {
			fail(fmt.Errorf("key id mismatch"))
		}
		n, err := note.Open(in, note.VerifierList(v))
		if err != nil {
			fail(err)
		}
		for _, sig := range n.Sigs {
			raw, _ := base64.StdEncoding.DecodeString(sig.Base64)
			fmt.Printf("OK %s %d\n", sig.Name, binary.BigEndian.Uint64(raw[4:12]))
		}
	}
}
