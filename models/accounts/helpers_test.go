package accounts_test

import "context"

var ctx = context.Background()
