package tpm2pkcs11

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// PKCS#11 attribute types (PKCS #11 v3.0, Section 4 and pkcs11t.h) and
// tpm2-pkcs11's vendor attributes that hold the TPM blobs.
const (
	ckaClass                  = 0x000
	ckaToken                  = 0x001
	ckaPrivate                = 0x002
	ckaLabel                  = 0x003
	ckaValue                  = 0x011
	ckaCertificateType        = 0x080
	ckaIssuer                 = 0x081
	ckaSerialNumber           = 0x082
	ckaTrusted                = 0x086
	ckaCertificateCategory    = 0x087
	ckaJavaMIDPSecDomain      = 0x088
	ckaURL                    = 0x089
	ckaHashOfSubjectPubKey    = 0x08a
	ckaHashOfIssuerPubKey     = 0x08b
	ckaNameHashAlgorithm      = 0x08c
	ckaCheckValue             = 0x090
	ckaKeyType                = 0x100
	ckaSubject                = 0x101
	ckaID                     = 0x102
	ckaSensitive              = 0x103
	ckaEncrypt                = 0x104
	ckaDecrypt                = 0x105
	ckaWrap                   = 0x106
	ckaUnwrap                 = 0x107
	ckaSign                   = 0x108
	ckaSignRecover            = 0x109
	ckaVerify                 = 0x10a
	ckaVerifyRecover          = 0x10b
	ckaDerive                 = 0x10c
	ckaStartDate              = 0x110
	ckaEndDate                = 0x111
	ckaPublicKeyInfo          = 0x129
	ckaExtractable            = 0x162
	ckaLocal                  = 0x163
	ckaNeverExtractable       = 0x164
	ckaAlwaysSensitive        = 0x165
	ckaKeyGenMechanism        = 0x166
	ckaModifiable             = 0x170
	ckaCopyable               = 0x171
	ckaDestroyable            = 0x172
	ckaModulus                = 0x120
	ckaModulusBits            = 0x121
	ckaPublicExponent         = 0x122
	ckaECParams               = 0x180
	ckaECPoint                = 0x181
	ckaAlwaysAuthenticate     = 0x202
	ckaWrapWithTrusted        = 0x210
	ckaWrapTemplate           = 0x40000211
	ckaUnwrapTemplate         = 0x40000212
	ckaAllowedMechanisms      = 0x40000600
	ckaTPM2PubBlob            = 0x8f000002
	ckaTPM2PrivBlob           = 0x8f000003
	ckoCertificate            = 1
	ckoPublicKey              = 2
	ckoPrivateKey             = 3
	ckkRSA                    = 0
	ckkEC                     = 3
	ckmRSAKeyPairGen          = 0x0000
	ckmRSAPKCS                = 0x0001
	ckmRSAX509                = 0x0003
	ckmRSAPKCSOAEP            = 0x0009
	ckmRSAPKCSPSS             = 0x000d
	ckmSHA1RSAPKCSPSS         = 0x000e
	ckmSHA256RSAPKCS          = 0x0040
	ckmSHA384RSAPKCS          = 0x0041
	ckmSHA512RSAPKCS          = 0x0042
	ckmSHA256RSAPKCSPSS       = 0x0043
	ckmSHA384RSAPKCSPSS       = 0x0044
	ckmSHA512RSAPKCSPSS       = 0x0045
	ckcX509                   = 0
	ckmECKeyPairGen           = 0x1040
	ckmECDSA                  = 0x1041
	ckmECDSASHA1              = 0x1042
	ckmECDSASHA256            = 0x1044
	ckmECDSASHA384            = 0x1045
	ckmECDSASHA512            = 0x1046
	ckmSHA1                   = 0x220
	ckCertCategoryUnspecified = 0
)

// attrs is one tpm2-pkcs11 object: attribute type to value. A value is a
// uint64 (a CK_ULONG), a bool (a CK_BBOOL), a []byte (a byte string,
// stored as hex) or a []uint64 (a CK_ULONG array).
type attrs map[uint64]any

// encode writes the attributes the way tpm2-pkcs11's store holds them:
// canonical YAML, a map from the attribute type to a tagged scalar (the
// library's parser, src/lib/parser.c, goes by the tags: !!int, !!bool,
// !!str as hex, !!seq of !!int), keys in ascending order as tpm2_ptool
// writes them.
func (a attrs) encode() string {
	keys := make([]uint64, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString("---\n!!map {\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "  ? !!int \"%d\"\n  : ", k)
		switch v := a[k].(type) {
		case uint64:
			fmt.Fprintf(&b, "!!int \"%d\"", v)
		case bool:
			fmt.Fprintf(&b, "!!bool \"%t\"", v)
		case []byte:
			fmt.Fprintf(&b, "!!str \"%s\"", hex.EncodeToString(v))
		case []uint64:
			if len(v) == 0 {
				b.WriteString("!!seq []")
				break
			}
			b.WriteString("!!seq [\n")
			for _, m := range v {
				fmt.Fprintf(&b, "    !!int \"%d\",\n", m)
			}
			b.WriteString("  ]")
		default:
			panic(fmt.Sprintf("tpm2pkcs11: attribute %#x has a value of type %T", k, v))
		}
		b.WriteString(",\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// storedObject is what this package reads back from a store row: the
// object's class and CKA_ID.
type storedObject struct {
	class uint64
	id    []byte
}

// parseObject reads the class and CKA_ID of a store row's attributes.
// The text comes from a file other programs write, so it is parsed as
// untrusted: any YAML that is not a map of integer keys fails.
func parseObject(text string) (storedObject, error) {
	var m map[uint64]any
	if err := yaml.Unmarshal([]byte(text), &m); err != nil {
		return storedObject{}, fmt.Errorf("tpm2-pkcs11 object attributes: %w", err)
	}
	var o storedObject
	switch c := m[ckaClass].(type) {
	case int:
		o.class = uint64(c)
	case uint64:
		o.class = c
	default:
		return storedObject{}, fmt.Errorf("tpm2-pkcs11 object attributes: CKA_CLASS is %T", c)
	}
	if s, ok := m[ckaID].(string); ok {
		id, err := hex.DecodeString(s)
		if err != nil {
			return storedObject{}, fmt.Errorf("tpm2-pkcs11 object attributes: CKA_ID: %w", err)
		}
		o.id = id
	}
	return o, nil
}

// p256Params is CKA_EC_PARAMS of NIST P-256: the DER of its named-curve
// OID, 1.2.840.10045.3.1.7.
var p256Params = []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}

// keyPair returns the private and public key objects tpm2-pkcs11 keeps
// for a TPM key, with the attributes `tpm2_ptool link` gives them
// (tools/tpm2_pkcs11/objects.py): derived from the key's TPM object
// attributes (sign, decrypt, fixedTPM and fixedParent for
// non-extractable, sensitiveDataOrigin for CKA_LOCAL), its public key,
// the mechanisms the TPM's algorithms allow, and the TPM blobs the module
// loads under the token's primary. No CKA_TPM2_OBJAUTH_ENC: the key's
// auth value is empty, which the module takes an absent one for
// (utils_ctx_unwrap_objauth).
func keyPair(k linkKey, algs tpmAlgs) (priv, pub attrs) {
	keyType, gen, mechs, public := uint64(ckkEC), uint64(ckmECKeyPairGen), algs.ecMechanisms(), attrs{}
	if k.rsa {
		keyType, gen, mechs = ckkRSA, ckmRSAKeyPairGen, algs.rsaMechanisms()
		public = attrs{ckaModulus: k.modulus, ckaModulusBits: k.bits, ckaPublicExponent: k.exponent}
	} else {
		point, _ := asn1.Marshal(k.point)
		public = attrs{ckaECParams: p256Params, ckaECPoint: point}
	}
	common := func(class uint64, private bool) attrs {
		a := attrs{
			ckaClass: class, ckaToken: true, ckaPrivate: private, ckaLabel: k.label,
			ckaKeyType: keyType, ckaSubject: []byte{}, ckaID: k.id,
			ckaDerive: false, ckaStartDate: []byte{}, ckaEndDate: []byte{}, ckaPublicKeyInfo: []byte{},
			ckaLocal: k.local, ckaKeyGenMechanism: gen,
			ckaModifiable: false, ckaCopyable: false, ckaDestroyable: true,
			ckaAllowedMechanisms: mechs, ckaTPM2PubBlob: k.pubBlob,
		}
		maps.Copy(a, public)
		return a
	}
	priv = common(ckoPrivateKey, true)
	maps.Copy(priv, attrs{
		ckaSensitive: true, ckaDecrypt: k.decrypt, ckaUnwrap: false, ckaSign: k.sign,
		ckaSignRecover: false, ckaExtractable: !k.fixed, ckaNeverExtractable: k.fixed,
		ckaAlwaysSensitive: k.fixed, ckaAlwaysAuthenticate: false, ckaWrapWithTrusted: false,
		ckaUnwrapTemplate: []uint64{}, ckaTPM2PrivBlob: k.privBlob,
	})
	pub = common(ckoPublicKey, false)
	// tpm2_ptool sets CKA_ENCRYPT from the TPM's sign attribute and
	// CKA_VERIFY from its decrypt attribute; the module goes by them, so
	// they are kept as it writes them.
	maps.Copy(pub, attrs{
		ckaTrusted: false, ckaEncrypt: k.sign, ckaWrap: false, ckaVerify: k.decrypt,
		ckaVerifyRecover: false, ckaWrapTemplate: []byte{},
	})
	return priv, pub
}

// tpmAlgs is what CKA_ALLOWED_MECHANISMS depends on: whether the TPM
// implements these algorithms (TPM_CAP_ALGS).
type tpmAlgs struct{ sha384, sha512, rsaPSS bool }

// ecMechanisms is CKA_ALLOWED_MECHANISMS of an ECC key as tpm2_ptool
// derives it from the TPM's algorithms.
func (t tpmAlgs) ecMechanisms() []uint64 {
	m := []uint64{ckmECDSA, ckmECDSASHA1, ckmECDSASHA256}
	if t.sha384 {
		m = append(m, ckmECDSASHA384)
	}
	if t.sha512 {
		m = append(m, ckmECDSASHA512)
	}
	return m
}

// rsaMechanisms is CKA_ALLOWED_MECHANISMS of an RSA key as tpm2_ptool
// derives it: PKCS #1 v1.5 and OAEP always, PSS where the TPM has it.
func (t tpmAlgs) rsaMechanisms() []uint64 {
	m := []uint64{ckmRSAX509, ckmRSAPKCSOAEP, ckmRSAPKCS, ckmSHA256RSAPKCS, ckmSHA384RSAPKCS, ckmSHA512RSAPKCS}
	if t.rsaPSS {
		m = append(m, ckmRSAPKCSPSS, ckmSHA1RSAPKCSPSS, ckmSHA256RSAPKCSPSS)
		if t.sha384 {
			m = append(m, ckmSHA384RSAPKCSPSS)
		}
		if t.sha512 {
			m = append(m, ckmSHA512RSAPKCSPSS)
		}
	}
	return m
}

// certObject is the X.509 certificate object `tpm2_ptool addcert` makes
// beside a key: its DER, subject, issuer and serial, and CKA_CHECK_VALUE,
// the first three bytes of the SHA-1 of the DER (PKCS #11 v3.0, Section
// 4.6.3).
func certObject(cert *x509.Certificate, label, id []byte) attrs {
	serial, _ := asn1.Marshal(new(big.Int).Set(cert.SerialNumber))
	sum := sha1.Sum(cert.Raw)
	return attrs{
		ckaClass: uint64(ckoCertificate), ckaToken: true, ckaPrivate: false, ckaLabel: label,
		ckaValue: cert.Raw, ckaCertificateType: uint64(ckcX509), ckaIssuer: cert.RawIssuer,
		ckaSerialNumber: serial, ckaTrusted: false, ckaCertificateCategory: uint64(ckCertCategoryUnspecified),
		ckaJavaMIDPSecDomain: uint64(0), ckaURL: []byte{}, ckaHashOfSubjectPubKey: []byte{},
		ckaHashOfIssuerPubKey: []byte{}, ckaNameHashAlgorithm: uint64(ckmSHA1), ckaCheckValue: sum[:3],
		ckaSubject: cert.RawSubject, ckaID: id, ckaStartDate: []byte{}, ckaEndDate: []byte{},
		ckaPublicKeyInfo: []byte{}, ckaModifiable: false, ckaCopyable: false, ckaDestroyable: true,
	}
}
