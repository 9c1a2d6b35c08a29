# Mail, English. Each message: subject, intro (and detail), action (the link's text),
# validity, outro; `{ $tenant }` is the organisation's name.
mail-reset-subject = Reset your { $tenant } password
mail-reset-intro = Someone asked to reset the password of your { $tenant } account.
mail-reset-action = Choose a new password
mail-reset-validity = The link works for { $minutes } minutes, once.
mail-reset-outro = If it was not you, ignore this message: your password stays as it is.

mail-verify-subject = Confirm your email address for { $tenant }
mail-verify-intro = Please confirm that { $email } is your address for { $tenant }.
mail-verify-action = Confirm this address
mail-verify-validity = The link works for 24 hours, once.
mail-verify-outro = If you did not ask for this, ignore this message.

mail-exists-subject = Your { $tenant } account
mail-exists-intro = Someone tried to create a { $tenant } account with this address, which already has one.
mail-exists-detail = If it was you, sign in instead, or reset your password.
mail-exists-action = Reset your password
mail-exists-outro = If it was not you, ignore this message.

mail-inactive-subject = Your { $tenant } account will be deleted unless you sign in
mail-inactive-intro = Your { $tenant } account has not been used for a long time.
mail-inactive-action = To keep it, sign in before { $date }
mail-inactive-outro = If you do nothing, the account and everything it holds (its profiles and their data) is deleted on that day, as { $tenant }'s data-retention policy says. Nothing else is needed if you no longer want it.

mail-invite-subject = You have been invited to { $tenant }
mail-invite-intro = You have been invited to { $tenant }. Your account's address is { $email }.
mail-invite-action = Accept the invitation and choose a password
mail-invite-validity = The link works for { $days } days, once. You will land signed in on your { $tenant } account page.
mail-invite-outro = If you did not expect this invitation, ignore this message: nothing happens until a password is chosen through the link.

mail-invite-admin-subject = You have been invited to administer { $tenant }
mail-invite-admin-intro = You have been invited to administer { $tenant }. Your account's address is { $email }.
mail-invite-admin-action = Accept the invitation and choose a password
mail-invite-admin-validity = The link works for { $days } days, once. You will land signed in on the { $tenant } administration console.
mail-invite-admin-outro = If you did not expect this invitation, ignore this message: nothing happens until a password is chosen through the link.

mail-email-change-subject = Confirm your new sign-in email for { $tenant }
mail-email-change-intro = Someone asked to make { $email } the sign-in email of a { $tenant } account.
mail-email-change-action = Confirm this address
mail-email-change-validity = The link works for 24 hours, once. Until it is used, the account keeps its old address.
mail-email-change-outro = If you did not ask for this, ignore this message.

mail-email-taken-subject = Your { $tenant } account
mail-email-taken-intro = Someone tried to make this address the sign-in email of another { $tenant } account, but it already belongs to yours. Nothing was changed.
mail-email-taken-action = Sign in to your account
mail-email-taken-outro = If it was not you, ignore this message.

mail-email-changed-subject = The sign-in email of your { $tenant } account was changed
mail-email-changed-intro = The sign-in email of your { $tenant } account was changed to { $email }. This address no longer signs in to it.
mail-email-changed-detail = If you did not make this change, undo it: the link restores this address, signs the account out everywhere and asks you for a new password.
mail-email-changed-action = Undo the change
mail-email-changed-validity = The link works for 7 days, once.
mail-email-changed-outro = If you made the change yourself, there is nothing to do.
