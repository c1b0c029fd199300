package content_test

import "context"

var ctx = context.Background()
