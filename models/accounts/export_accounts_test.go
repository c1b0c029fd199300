package accounts

import "context"

// APISignatureCount is how many API request signatures are remembered.
func (s *Accounts) APISignatureCount(ctx context.Context) (int64, error) {
	var n int64
	err := s.Gorm.WithContext(ctx).Model(&apiSignature{}).Count(&n).Error
	return n, err
}
