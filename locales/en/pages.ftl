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
