package tracking_test

import "context"

var ctx = context.Background()
