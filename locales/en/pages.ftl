# Hosted pages, English (the reference: every other language has exactly these messages).
language-switcher = Language
forgot-password = Forgot your password?
login-title = Sign in
login-continue-to = to continue to { $client }
login-email = Email
login-password = Password
login-submit = Sign in
login-failed = The email or password is incorrect, or this account cannot sign in.
login-to-account = your account
login-to-console = the admin console
consent-page-title = Allow access
consent-title = Allow { $client }?
consent-signed-in-as = Signed in as { $user }
consent-would-like = { $client } would like to:
consent-version-required = version { $version }, required
consent-version-optional = version { $version }, optional
consent-changed-since = Changed since version { $version }, which you accepted:
consent-read = Read { $name }
consent-agree-optional = I agree (optional)
consent-accepts-required = Choosing Allow accepts the required terms above.
consent-deny = Deny
consent-allow = Allow
scope-openid = Sign you in with your account
scope-profile = See your profile name
scope-email = See your email address
scope-offline_access = Keep access when you are not using it (stay signed in)
scope-verified_claims = Your verified identity: your legal name and how it was checked
scope-tessera-admin = Administer this organisation with your administration permissions
scope-api = Use { $api } for you: { $scopes }

## Shared
continue = Continue
sign-out = Sign out
back-to-account = Back to your account
current-password = Current password
password-with-length = Password (at least { $min } characters)
new-password-with-length = New password (at least { $min } characters)
password-too-short = That password is too short: use at least { $min } characters.
password-too-long = That password is too long.
password-common = That password is too common. Choose another.
email-invalid = That email address is not valid.
link-sign-in-account = Sign in to your account
link-sign-in-console = Administrators: sign in to the console
link-console = Administrators: the console
link-discovery = For developers: the OpenID Connect discovery document
link-reset-again = Ask for a new link

## Message pages: each has a title and a body
expired-request-title = This sign-in has expired
expired-request-body = The sign-in request is too old or was started in another browser. Go back to the application and start again.
bad-form-title = This form has expired
bad-form-body = The form could not be verified (it may be too old, or cookies are blocked). Go back to the application and start again.
failure-title = Something went wrong
failure-body = The request could not be completed. Please try again in a moment.
busy-title = Busy for a moment
busy-body = Tessera is very busy right now and nothing was changed. Please try again in a few seconds.
rate-limited-title = Too many attempts
rate-limited-body = There were too many sign-in attempts from your network. Wait a minute and try again.
issuer-page-title = { $tenant }
issuer-page-body = This is the sign-in service of { $tenant }. Apps send you here to sign in; you can also manage your account directly.
link-expired-title = This link has expired
link-expired-body = The link is invalid, already used, or too old. Ask for a new one.
reset-expired-title = This link has expired
reset-expired-body = The link is invalid, already used, or older than 30 minutes. Ask for a new one.
invitation-expired-title = This invitation link no longer works
invitation-expired-body = It is invalid, already used, replaced by a newer one, or older than 7 days. Ask whoever invited you to send it again. If you already chose your password, sign in.
password-changed-title = Your password was changed
password-changed-body = Every session was signed out. Sign in again with your new password.
signed-out-title = You are signed out
signed-out-body = You have been signed out. You can close this window.
signup-closed-title = Sign-up is closed
signup-closed-body = Accounts here are created by an administrator.
verified-account-title = Address confirmed
verified-account-body = Thank you: your email address is confirmed. You can sign in.
verified-profile-title = Address confirmed
verified-profile-body = Thank you: the profile's email address is confirmed.
confirm-email-first-title = Confirm your email address
confirm-email-first-body = This organisation asks you to confirm your email address first. We sent you a new link.
mfa-exhausted-title = Too many wrong codes
mfa-exhausted-body = Sign in again to get a new chance.
signin-refused-title = Sign-in refused
signin-refused-body = This account cannot sign in now.
deletion-scheduled-title = Your account will be deleted
deletion-scheduled-body = You are signed out everywhere and the apps you used lost access. In { $grace }, your email, your profiles and everything they hold will be destroyed. Changed your mind? Sign in before then and nothing is deleted.
authorize-invalid = Invalid sign-in request
logout-invalid = Invalid sign-out request
logout-unregistered-return = The application asked to return to an address it has not registered.

## Two-step verification
mfa-title = Two-step verification
mfa-intro = Enter the 6-digit code from your authenticator app, or one of your recovery codes.
mfa-code = Code
mfa-verify = Verify
mfa-wrong = That code is not valid. Try the current code from your app, or a recovery code.
mfa-required = This sign-in needs two-step verification. Set it up to continue.
mfa-setup-title = Set up two-step verification
mfa-setup-scan = Scan this code with an authenticator app, or type the key below into it.
mfa-setup-key = Key:
mfa-setup-code = Code from the app
mfa-setup-submit = Turn on
recovery-title = Recovery codes
recovery-heading = Two-step verification is on
recovery-intro = Keep these recovery codes somewhere safe. Each works once, if you lose your authenticator. They are shown only now.

## Profile picker
picker-title = Choose a profile
picker-heading = Continue as…
picker-intro = Choose the profile { $client } will see.
picker-profiles-of = Profiles of { $email }

## Invitation
invitation-title = You have been invited to { $tenant }
invitation-admin-title = You have been invited to administer { $tenant }
invitation-intro = Choose a password for your account { $email }. You will land signed in on your account page.
invitation-admin-intro = Choose a password for your account { $email }. You will land signed in on the administration console.
invitation-submit = Accept and sign in

## Password reset
reset-title = Reset your password
reset-intro = We will send a link to choose a new password.
reset-submit = Send the link
reset-sent = If an account exists for that address, we sent it a link to choose a new password. It works for 30 minutes.
reset-form-title = Choose a new password
reset-form-intro = This signs you out everywhere and ends every app's access to your account.
reset-form-submit = Set the password

## Sign-up and address confirmation
signup-title = Create an account
signup-submit = Create account
signup-sent = Check your inbox: we sent a message to continue.
verify-title = Confirm your email address
verify-intro = Press the button to confirm that this address is yours. Nothing is confirmed until you do.
verify-submit = Confirm the address

## Sign-out
logout-title = Sign out
logout-heading = Sign out?
logout-question = Do you want to sign out of { $tenant }?
logout-question-return = Do you want to sign out of { $tenant } and return to { $client }?
logout-submit = Sign out

## Dates and durations
date-time = { $day } { $month } { $year }, { $time } { $zone }
month-1 = Jan
month-2 = Feb
month-3 = Mar
month-4 = Apr
month-5 = May
month-6 = Jun
month-7 = Jul
month-8 = Aug
month-9 = Sep
month-10 = Oct
month-11 = Nov
month-12 = Dec
time-just-now = just now
time-ago-minutes =
    { $n ->
        [one] 1 minute ago
       *[other] { $n } minutes ago
    }
time-ago-hours =
    { $n ->
        [one] 1 hour ago
       *[other] { $n } hours ago
    }
time-ago-days =
    { $n ->
        [one] 1 day ago
       *[other] { $n } days ago
    }
time-ago-months =
    { $n ->
        [one] 1 month ago
       *[other] { $n } months ago
    }
time-ago-years =
    { $n ->
        [one] 1 year ago
       *[other] { $n } years ago
    }
time-in-minutes =
    { $n ->
        [one] in 1 minute
       *[other] in { $n } minutes
    }
time-in-hours =
    { $n ->
        [one] in 1 hour
       *[other] in { $n } hours
    }
time-in-days =
    { $n ->
        [one] in 1 day
       *[other] in { $n } days
    }
time-in-months =
    { $n ->
        [one] in 1 month
       *[other] in { $n } months
    }
time-in-years =
    { $n ->
        [one] in 1 year
       *[other] in { $n } years
    }
duration-moment = a moment
duration-minutes =
    { $n ->
        [one] 1 minute
       *[other] { $n } minutes
    }
duration-hours =
    { $n ->
        [one] 1 hour
       *[other] { $n } hours
    }
duration-days =
    { $n ->
        [one] 1 day
       *[other] { $n } days
    }
device-title = Connect a device
device-intro = Enter the code your device shows. You then sign in here and confirm.
device-code = Code
device-submit = Continue
device-invalid = That code is not valid or has expired. Check the code on your device and try again.
device-approved-title = Your device is connected
device-approved-body = { $client } is signed in on your device. You can close this page.
device-denied-title = The device was not connected
device-denied-body = The device did not get access. You can close this page.
device-gone-title = This code is no longer valid
device-gone-body = The code expired or was already used. Start again on your device.
consent-device-warning = A device asks to sign in as you with the code { $code }. Allow it only if you started this yourself and your device shows this code.

email-change-title = Confirm your new sign-in email
email-change-intro = Press the button to make { $email } the sign-in email of your account. Nothing changes until you do.
email-change-submit = Confirm the new address
email-changed-title = Sign-in email changed
email-changed-body = You now sign in with { $email }. We told your previous address, which can undo the change for 7 days.
email-change-taken-title = Address already in use
email-change-taken-body = Another account has this address now, so the sign-in email was not changed. Ask an administrator for help.
email-revert-title = Undo the change of sign-in email
email-revert-intro = This restores { $email } as your sign-in email, signs your account out everywhere and ends what apps may do for it. Choose a new password: whoever made the change may know the old one.
email-revert-code-intro = Your account has two-step verification: enter a code from your authenticator app, or a recovery code. If you lost both, an administrator can help.
email-revert-submit = Restore my address
email-revert-wrong-code = That code did not match. Enter a current code from your authenticator app, or an unused recovery code.
email-reverted-title = Address restored
email-reverted-body = { $email } is your sign-in email again, with your new password. Every session was signed out.

merge-title = Merge the accounts
merge-intro = These profiles of { $email } move to the account you are signed in to, with their consents and roles:
merge-consequences = Apps keep seeing the same profiles. The other account is then closed: it is signed out everywhere, its address no longer signs in, and what apps held for it ends.
merge-submit = Merge the accounts
