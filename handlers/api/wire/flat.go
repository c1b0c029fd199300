package wire

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// The older HmacSHA1/HmacSHA256 signature, and GET requests, carry an
// action's parameters as form fields flattened the way the SDK's
// ConstructParams writes them: a nested field as "Template.TemplateID", an
// element of a list as "Destination.0", a field of a list's element as
// "Attachments.0.FileName". FlatJSON turns them back into the JSON body the
// same action takes, so both forms are decoded, and refused, alike.

// CommonParams are the parameters of every request rather than of its
// action: the signature's and the SDK's own.
var CommonParams = map[string]bool{
	"Action": true, "Version": true, "Region": true, "Timestamp": true, "Nonce": true, "SecretId": true,
	"Signature": true, "SignatureMethod": true, "Token": true, "Language": true, "RequestClient": true,
}

// maxListIndex caps the index of a flattened list element: far above any
// list an action takes, and low enough that no request makes a huge one.
const maxListIndex = 100_000

// FlatJSON is the JSON object the flattened parameters stand for, with
// shape (a pointer to the action's request type) telling lists, numbers
// and booleans from text. Common parameters are left out; a parameter the
// shape does not know is kept as text, for the strict decoder to name.
func FlatJSON(params url.Values, shape any) ([]byte, error) {
	root := map[string]any{}
	keys := make([]string, 0, len(params))
	for k := range params {
		if !CommonParams[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := place(root, reflect.TypeOf(shape), strings.Split(k, "."), params.Get(k), k); err != nil {
			return nil, err
		}
	}
	return json.Marshal(lists(root))
}

// place puts value at path in node, an object of type t.
func place(node map[string]any, t reflect.Type, path []string, value, key string) error {
	t = deref(t)
	name := path[0]
	var ft reflect.Type
	if t != nil && t.Kind() == reflect.Struct {
		if f, ok := fieldByJSONName(t, name); ok {
			ft = f.Type
		}
	}
	if len(path) == 1 {
		node[name] = leaf(ft, value)
		return nil
	}
	ft = deref(ft)
	if ft != nil && ft.Kind() == reflect.Slice {
		i, err := strconv.Atoi(path[1])
		if err != nil || i < 0 || i > maxListIndex {
			return fmt.Errorf("%s: %q is not the index of an element of %s", key, path[1], name)
		}
		list, _ := node[name].(map[int]any)
		if list == nil {
			list = map[int]any{}
			node[name] = list
		}
		elem := ft.Elem()
		if len(path) == 2 {
			list[i] = leaf(elem, value)
			return nil
		}
		child, _ := list[i].(map[string]any)
		if child == nil {
			child = map[string]any{}
			list[i] = child
		}
		return place(child, elem, path[2:], value, key)
	}
	child, _ := node[name].(map[string]any)
	if child == nil {
		child = map[string]any{}
		node[name] = child
	}
	return place(child, ft, path[1:], value, key)
}

// leaf is a value as JSON has it for a field of type t: a number or a
// boolean where t is one and the text reads as one, else the text.
func leaf(t reflect.Type, value string) any {
	switch t = deref(t); {
	case t == nil:
		return value
	case t.Kind() == reflect.Bool:
		if b, err := strconv.ParseBool(value); err == nil {
			return b
		}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Float64:
		if _, err := strconv.ParseFloat(value, 64); err == nil {
			return json.Number(value)
		}
	}
	return value
}

// lists turns the index maps of flattened lists into JSON arrays, in index
// order (the SDK numbers them from 0 without gaps; a gap closes up).
func lists(v any) any {
	switch n := v.(type) {
	case map[string]any:
		for k, c := range n {
			n[k] = lists(c)
		}
		return n
	case map[int]any:
		idx := make([]int, 0, len(n))
		for i := range n {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		out := make([]any, len(idx))
		for j, i := range idx {
			out[j] = lists(n[i])
		}
		return out
	}
	return v
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func fieldByJSONName(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == name || (tag == "" && f.Name == name) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}
