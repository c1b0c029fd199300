package api

// register lists the 35 actions of ses/v20201002 with who may call them:
// what the console gives admins only (adding, checking and deleting
// sending domains) needs an admin's key here too.
func (a *API) register() map[string]action {
	const admin, member = true, false
	return map[string]action{
		// Sending domains.
		"CreateEmailIdentity": handle(admin, a.createEmailIdentity),
		"GetEmailIdentity":    handle(member, a.getEmailIdentity),
		"ListEmailIdentities": handle(member, a.listEmailIdentities),
		"UpdateEmailIdentity": handle(admin, a.updateEmailIdentity),
		"DeleteEmailIdentity": handle(admin, a.deleteEmailIdentity),
		// Sender addresses and their unsubscribe settings.
		"CreateEmailAddress":             handle(member, a.createEmailAddress),
		"ListEmailAddress":               handle(member, a.listEmailAddress),
		"DeleteEmailAddress":             handle(member, a.deleteEmailAddress),
		"UpdateEmailSmtpPassWord":        handle(member, a.updateEmailSmtpPassword),
		"CreateAddressUnsubscribeConfig": handle(member, a.createAddressUnsubscribeConfig),
		"ListAddressUnsubscribeConfig":   handle(member, a.listAddressUnsubscribeConfig),
		"UpdateAddressUnsubscribeConfig": handle(member, a.updateAddressUnsubscribeConfig),
		"DeleteAddressUnsubscribeConfig": handle(member, a.deleteAddressUnsubscribeConfig),
		// Templates.
		"CreateEmailTemplate": handle(member, a.createEmailTemplate),
		"GetEmailTemplate":    handle(member, a.getEmailTemplate),
		"ListEmailTemplates":  handle(member, a.listEmailTemplates),
		"UpdateEmailTemplate": handle(member, a.updateEmailTemplate),
		"DeleteEmailTemplate": handle(member, a.deleteEmailTemplate),
		// Sending and what became of it.
		"SendEmail":           handle(member, a.sendEmail),
		"GetSendEmailStatus":  handle(member, a.getSendEmailStatus),
		"BatchSendEmail":      handle(member, a.batchSendEmail),
		"ListSendTasks":       handle(member, a.listSendTasks),
		"GetStatisticsReport": handle(member, a.getStatisticsReport),
		// Recipient lists.
		"CreateReceiver":               handle(member, a.createReceiver),
		"ListReceivers":                handle(member, a.listReceivers),
		"DeleteReceiver":               handle(member, a.deleteReceiver),
		"CreateReceiverDetail":         handle(member, a.createReceiverDetail),
		"CreateReceiverDetailWithData": handle(member, a.createReceiverDetailWithData),
		"ListReceiverDetails":          handle(member, a.listReceiverDetails),
		// Blacklists: the suppression list.
		"ListBlackEmailAddress": handle(member, a.listBlackEmailAddress),
		"DeleteBlackList":       handle(member, a.deleteBlackList),
		"CreateCustomBlacklist": handle(member, a.createCustomBlacklist),
		"ListCustomBlacklist":   handle(member, a.listCustomBlacklist),
		"UpdateCustomBlackList": handle(member, a.updateCustomBlackList),
		"DeleteCustomBlackList": handle(member, a.deleteCustomBlackList),
	}
}

// Actions lists the action names, for tests and documentation.
func (a *API) Actions() []string {
	names := make([]string, 0, len(a.actions))
	for n := range a.actions {
		names = append(names, n)
	}
	return names
}
