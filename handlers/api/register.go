package api

// register lists the 35 actions of ses/v20201002 with who may call them:
// what the console gives admins only (adding, checking and deleting
// sending domains) needs an admin's key here too.
func register(cfg Config, d dates) map[string]action {
	const admin, member = true, false
	ids := &identityActions{dates: d, domains: cfg.Domains, ips: cfg.IPs, queue: cfg.Messages, dns: cfg.DNS}
	senders := &senderActions{dates: d, domains: cfg.Domains, senders: cfg.Senders}
	templates := &templateActions{dates: d, templates: cfg.Templates}
	send := &sendActions{dates: d, senders: cfg.Senders, send: cfg.Sending}
	status := &statusActions{dates: d, queue: cfg.Messages, suppressions: cfg.Suppressions}
	tasks := &taskActions{dates: d, tasks: cfg.TaskStore, creator: cfg.Tasks, senders: cfg.Senders, send: cfg.Sending,
		templates: cfg.Templates, audience: cfg.Groups}
	stats := &statsActions{dates: d, domains: cfg.Domains, queue: cfg.Messages}
	receivers := &receiverActions{dates: d, audience: cfg.Groups}
	blacklist := &blacklistActions{dates: d, suppressions: cfg.Suppressions}
	return map[string]action{
		// Sending domains.
		"CreateEmailIdentity": handle(admin, ids.createEmailIdentity),
		"GetEmailIdentity":    handle(member, ids.getEmailIdentity),
		"ListEmailIdentities": handle(member, ids.listEmailIdentities),
		"UpdateEmailIdentity": handle(admin, ids.updateEmailIdentity),
		"DeleteEmailIdentity": handle(admin, ids.deleteEmailIdentity),
		// Sender addresses and their unsubscribe settings.
		"CreateEmailAddress":             handle(member, senders.createEmailAddress),
		"ListEmailAddress":               handle(member, senders.listEmailAddress),
		"DeleteEmailAddress":             handle(member, senders.deleteEmailAddress),
		"UpdateEmailSmtpPassWord":        handle(member, senders.updateEmailSmtpPassword),
		"CreateAddressUnsubscribeConfig": handle(member, senders.createAddressUnsubscribeConfig),
		"ListAddressUnsubscribeConfig":   handle(member, senders.listAddressUnsubscribeConfig),
		"UpdateAddressUnsubscribeConfig": handle(member, senders.updateAddressUnsubscribeConfig),
		"DeleteAddressUnsubscribeConfig": handle(member, senders.deleteAddressUnsubscribeConfig),
		// Templates.
		"CreateEmailTemplate": handle(member, templates.createEmailTemplate),
		"GetEmailTemplate":    handle(member, templates.getEmailTemplate),
		"ListEmailTemplates":  handle(member, templates.listEmailTemplates),
		"UpdateEmailTemplate": handle(member, templates.updateEmailTemplate),
		"DeleteEmailTemplate": handle(member, templates.deleteEmailTemplate),
		// Sending and what became of it.
		"SendEmail":           guarded(handle(member, send.sendEmail)),
		"GetSendEmailStatus":  handle(member, status.getSendEmailStatus),
		"BatchSendEmail":      handle(member, tasks.batchSendEmail),
		"ListSendTasks":       handle(member, tasks.listSendTasks),
		"GetStatisticsReport": handle(member, stats.getStatisticsReport),
		// Recipient lists.
		"CreateReceiver":               handle(member, receivers.createReceiver),
		"ListReceivers":                handle(member, receivers.listReceivers),
		"DeleteReceiver":               handle(member, receivers.deleteReceiver),
		"CreateReceiverDetail":         handle(member, receivers.createReceiverDetail),
		"CreateReceiverDetailWithData": handle(member, receivers.createReceiverDetailWithData),
		"ListReceiverDetails":          handle(member, receivers.listReceiverDetails),
		// Blacklists: the suppression list.
		"ListBlackEmailAddress": handle(member, blacklist.listBlackEmailAddress),
		"DeleteBlackList":       handle(member, blacklist.deleteBlackList),
		"CreateCustomBlacklist": handle(member, blacklist.createCustomBlacklist),
		"ListCustomBlacklist":   handle(member, blacklist.listCustomBlacklist),
		"UpdateCustomBlackList": handle(member, blacklist.updateCustomBlackList),
		"DeleteCustomBlackList": handle(member, blacklist.deleteCustomBlackList),
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
