package accounts

import "context"

// APISignatureCount is how many API request signatures are remembered.
func (s *Accounts) APISignatureCount(ctx context.Context) (int64, error) {
	var n int64
	err := s.Gorm.WithContext(ctx).Model(&apiSignature{}).Count(&n).Error
	return n, err
}

// UseSignaturesTogether records uses in one group commit, as concurrent
// UseSignature calls are, and returns each one's outcome.
func (s *Accounts) UseSignaturesTogether(ctx context.Context, us []SignatureUse) []error {
	uses := make([]*signatureUse, len(us))
	for i, u := range us {
		uses[i] = &signatureUse{SignatureUse: u, now: s.Now()}
	}
	errs := s.signatureUses.DoTogether(ctx, uses)
	for i, u := range uses {
		if errs[i] == nil && u.replayed != nil {
			errs[i] = u.replayed
		}
	}
	return errs
}
