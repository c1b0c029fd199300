package seed_test

import "context"

var ctx = context.Background()
