package outgoing

import (
	"strings"
)

// footer is the unsubscribe line Sesame adds when a send asks for one,
// in one of Tencent's unsubscribe languages.
type footer struct{ text string }

// unsubscribeFooters are keyed by Tencent's Unsubscribe codes: 1
// Simplified Chinese, 2 English, 3 Traditional Chinese, 4 Spanish, 5
// French, 6 German, 7 Japanese, 8 Korean, 9 Arabic, 10 Thai.
var unsubscribeFooters = map[string]footer{
	"1":  {"退订"},
	"2":  {"Unsubscribe"},
	"3":  {"退訂"},
	"4":  {"Cancelar suscripción"},
	"5":  {"Se désabonner"},
	"6":  {"Abmelden"},
	"7":  {"配信停止"},
	"8":  {"수신 거부"},
	"9":  {"إلغاء الاشتراك"},
	"10": {"ยกเลิกการรับข่าวสาร"},
}

// UnsubscribeLanguages lists the codes for forms, in Tencent's order.
var UnsubscribeLanguages = []struct{ Code, Name string }{
	{"0", "No unsubscribe link"}, {"2", "English"}, {"1", "Chinese (Simplified)"}, {"3", "Chinese (Traditional)"},
	{"4", "Spanish"}, {"5", "French"}, {"6", "German"}, {"7", "Japanese"}, {"8", "Korean"}, {"9", "Arabic"}, {"10", "Thai"},
}

// ValidUnsubscribe reports whether code is "", "0" or a language code.
func ValidUnsubscribe(code string) bool {
	_, ok := unsubscribeFooters[code]
	return ok || code == "" || code == "0"
}

func unsubscribeFooter(code string) *footer {
	if f, ok := unsubscribeFooters[code]; ok {
		return &f
	}
	return nil
}

// appendBeforeBodyEnd puts html just before </body>, or at the end.
func appendBeforeBodyEnd(doc, html string) string {
	if i := strings.LastIndex(strings.ToLower(doc), "</body>"); i >= 0 {
		return doc[:i] + html + doc[i:]
	}
	return doc + html
}
