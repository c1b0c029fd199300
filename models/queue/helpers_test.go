package queue_test

import "context"

var ctx = context.Background()
