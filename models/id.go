package models

import (
	"math"
	"strconv"
)

// MaxID is the largest id a row can have: ids are signed 64-bit integers in
// both databases, and a larger one fails in the driver instead of matching
// nothing.
const MaxID = math.MaxInt64

// ParseID reads an id given as text. Anything that cannot be a row's id
// (not a number, zero, beyond MaxID) is ErrNotFound, as an id that names no
// row would be.
func ParseID(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 || id > MaxID {
		return 0, ErrNotFound
	}
	return id, nil
}
