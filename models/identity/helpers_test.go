package identity_test

import "context"

var ctx = context.Background()
