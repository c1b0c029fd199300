package audience_test

import "context"

var ctx = context.Background()
