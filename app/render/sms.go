package render

import (
	"strings"
	"unicode/utf16"
)

// SMS encodings reported in Rendered.Encoding.
const (
	EncodingGSM7 = "GSM-7"
	EncodingUCS2 = "UCS-2"
)

// gsmBasic is the GSM 03.38 basic character set (one septet each).
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtension is the GSM 03.38 extension table (escape + char: two septets).
const gsmExtension = "^{}\\[~]|€\f"

// Segments returns how many SMS segments text needs and its encoding.
// GSM-7 fits 160 septets in one segment or 153 per segment when split;
// extension characters take two septets and are never split across
// segments. Anything outside GSM-7 forces UCS-2: 70 UTF-16 units in one
// segment or 67 per segment, never splitting a surrogate pair.
// Empty text is 0 segments.
func Segments(text string) (int, string) {
	if text == "" {
		return 0, EncodingGSM7
	}
	var costs []int
	gsm := true
	for _, r := range text {
		switch {
		case strings.ContainsRune(gsmBasic, r):
			costs = append(costs, 1)
		case strings.ContainsRune(gsmExtension, r):
			costs = append(costs, 2)
		default:
			gsm = false
		}
		if !gsm {
			break
		}
	}
	if gsm {
		return pack(costs, 160, 153), EncodingGSM7
	}
	costs = costs[:0]
	for _, r := range text {
		costs = append(costs, utf16.RuneLen(r))
	}
	return pack(costs, 70, 67), EncodingUCS2
}

// pack counts segments for units of the given costs: one segment when the
// total fits single, otherwise greedy segments of capacity multi.
func pack(costs []int, single, multi int) int {
	total := 0
	for _, c := range costs {
		total += c
	}
	if total <= single {
		return 1
	}
	n, used := 1, 0
	for _, c := range costs {
		if used+c > multi {
			n++
			used = 0
		}
		used += c
	}
	return n
}
