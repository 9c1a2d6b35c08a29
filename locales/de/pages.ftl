language-switcher = Sprache
forgot-password = Passwort vergessen?
login-title = Anmelden
login-continue-to = um mit { $client } fortzufahren
login-email = E-Mail-Adresse
login-password = Passwort
login-submit = Anmelden
login-failed = Die E-Mail-Adresse oder das Passwort ist falsch, oder dieses Konto kann sich nicht anmelden.
login-to-account = Ihr Konto
login-to-console = die Verwaltungskonsole
consent-page-title = Zugriff erlauben
consent-title = { $client } erlauben?
consent-signed-in-as = Angemeldet als { $user }
consent-would-like = { $client } möchte:
consent-version-required = Version { $version }, erforderlich
consent-version-optional = Version { $version }, freiwillig
consent-changed-since = Geändert seit Version { $version }, der Sie zugestimmt haben:
consent-read = { $name } lesen
consent-agree-optional = Ich stimme zu (freiwillig)
consent-accepts-required = Mit „Erlauben“ stimmen Sie den erforderlichen Bedingungen oben zu.
consent-deny = Ablehnen
consent-allow = Erlauben
scope-openid = Sie mit Ihrem Konto anmelden
scope-profile = Ihren Profilnamen sehen
scope-email = Ihre E-Mail-Adresse sehen
scope-offline_access = Zugriff behalten, während Sie es nicht nutzen (angemeldet bleiben)
scope-verified_claims = Ihre geprüfte Identität: Ihr amtlicher Name und wie er geprüft wurde
scope-tessera-admin = Diese Organisation mit Ihren Verwaltungsrechten verwalten
scope-api = { $api } für Sie nutzen: { $scopes }

## Allgemein
continue = Weiter
sign-out = Abmelden
back-to-account = Zurück zu Ihrem Konto
current-password = Aktuelles Passwort
password-with-length = Passwort (mindestens { $min } Zeichen)
new-password-with-length = Neues Passwort (mindestens { $min } Zeichen)
password-too-short = Dieses Passwort ist zu kurz: Verwenden Sie mindestens { $min } Zeichen.
password-too-long = Dieses Passwort ist zu lang.
password-common = Dieses Passwort ist zu verbreitet. Wählen Sie ein anderes.
email-invalid = Diese E-Mail-Adresse ist ungültig.
link-sign-in-account = Bei Ihrem Konto anmelden
link-sign-in-console = Für Administratoren: bei der Konsole anmelden
link-console = Für Administratoren: die Konsole
link-discovery = Für Entwickler: das OpenID-Connect-Discovery-Dokument
link-reset-again = Einen neuen Link anfordern

## Meldungsseiten: jede hat einen Titel und einen Text
expired-request-title = Diese Anmeldung ist abgelaufen
expired-request-body = Die Anmeldeanfrage ist zu alt oder wurde in einem anderen Browser gestartet. Kehren Sie zur Anwendung zurück und beginnen Sie erneut.
bad-form-title = Dieses Formular ist abgelaufen
bad-form-body = Das Formular konnte nicht überprüft werden (es ist vielleicht zu alt, oder Cookies werden blockiert). Kehren Sie zur Anwendung zurück und beginnen Sie erneut.
failure-title = Etwas ist schiefgelaufen
failure-body = Die Anfrage konnte nicht abgeschlossen werden. Bitte versuchen Sie es gleich noch einmal.
busy-title = Gerade ausgelastet
busy-body = Tessera ist gerade stark ausgelastet, und es wurde nichts geändert. Bitte versuchen Sie es in einigen Sekunden noch einmal.
rate-limited-title = Zu viele Versuche
rate-limited-body = Aus Ihrem Netzwerk gab es zu viele Anmeldeversuche. Warten Sie eine Minute und versuchen Sie es dann erneut.
issuer-page-title = { $tenant }
issuer-page-body = Dies ist der Anmeldedienst von { $tenant }. Apps leiten Sie zur Anmeldung hierher weiter; Sie können Ihr Konto auch direkt verwalten.
link-expired-title = Dieser Link ist abgelaufen
link-expired-body = Der Link ist ungültig, wurde bereits verwendet oder ist zu alt. Fordern Sie einen neuen an.
reset-expired-title = Dieser Link ist abgelaufen
reset-expired-body = Der Link ist ungültig, wurde bereits verwendet oder ist älter als 30 Minuten. Fordern Sie einen neuen an.
invitation-expired-title = Dieser Einladungslink funktioniert nicht mehr
invitation-expired-body = Er ist ungültig, wurde bereits verwendet, durch einen neueren ersetzt oder ist älter als 7 Tage. Bitten Sie die Person, die Sie eingeladen hat, ihn erneut zu senden. Wenn Sie Ihr Passwort bereits gewählt haben, melden Sie sich an.
password-changed-title = Ihr Passwort wurde geändert
password-changed-body = Alle Sitzungen wurden abgemeldet. Melden Sie sich mit Ihrem neuen Passwort erneut an.
signed-out-title = Sie sind abgemeldet
signed-out-body = Sie wurden abgemeldet. Sie können dieses Fenster schließen.
signup-closed-title = Die Registrierung ist geschlossen
signup-closed-body = Konten werden hier von einem Administrator angelegt.
verified-account-title = Adresse bestätigt
verified-account-body = Vielen Dank: Ihre E-Mail-Adresse ist bestätigt. Sie können sich jetzt anmelden.
verified-profile-title = Adresse bestätigt
verified-profile-body = Vielen Dank: Die E-Mail-Adresse des Profils ist bestätigt.
confirm-email-first-title = Bestätigen Sie Ihre E-Mail-Adresse
confirm-email-first-body = Diese Organisation bittet Sie, zuerst Ihre E-Mail-Adresse zu bestätigen. Wir haben Ihnen einen neuen Link gesendet.
mfa-exhausted-title = Zu viele falsche Codes
mfa-exhausted-body = Melden Sie sich erneut an, um es noch einmal zu versuchen.
signin-refused-title = Anmeldung abgelehnt
signin-refused-body = Dieses Konto kann sich derzeit nicht anmelden.
deletion-scheduled-title = Ihr Konto wird gelöscht
deletion-scheduled-body = Sie wurden überall abgemeldet, und die von Ihnen genutzten Apps haben den Zugriff verloren. Frist bis zur Löschung: { $grace }. Danach werden Ihre E-Mail-Adresse, Ihre Profile und alle darin gespeicherten Daten vernichtet. Haben Sie es sich anders überlegt? Melden Sie sich vorher an, dann wird nichts gelöscht.
authorize-invalid = Ungültige Anmeldeanfrage
logout-invalid = Ungültige Abmeldeanfrage
logout-unregistered-return = Die Anwendung wollte zu einer Adresse zurückkehren, die sie nicht registriert hat.

## Bestätigung in zwei Schritten
mfa-title = Bestätigung in zwei Schritten
mfa-intro = Geben Sie den 6-stelligen Code aus Ihrer Authenticator-App oder einen Ihrer Wiederherstellungscodes ein.
mfa-code = Code
mfa-verify = Bestätigen
mfa-wrong = Dieser Code ist ungültig. Versuchen Sie den aktuellen Code aus Ihrer App oder einen Wiederherstellungscode.
mfa-required = Diese Anmeldung erfordert eine Bestätigung in zwei Schritten. Richten Sie sie ein, um fortzufahren.
mfa-setup-title = Bestätigung in zwei Schritten einrichten
mfa-setup-scan = Scannen Sie diesen Code mit einer Authenticator-App, oder geben Sie dort den Schlüssel unten ein.
mfa-setup-key = Schlüssel:
mfa-setup-code = Code aus der App
mfa-setup-submit = Einschalten
recovery-title = Wiederherstellungscodes
recovery-heading = Die Bestätigung in zwei Schritten ist eingeschaltet
recovery-intro = Bewahren Sie diese Wiederherstellungscodes an einem sicheren Ort auf. Jeder funktioniert einmal, falls Sie Ihre Authenticator-App verlieren. Sie werden nur jetzt angezeigt.

## Profilauswahl
picker-title = Profil auswählen
picker-heading = Fortfahren als …
picker-intro = Wählen Sie das Profil, das { $client } sehen wird.
picker-profiles-of = Profile von { $email }

## Einladung
invitation-title = Sie wurden zu { $tenant } eingeladen
invitation-admin-title = Sie wurden eingeladen, { $tenant } zu verwalten
invitation-intro = Wählen Sie ein Passwort für Ihr Konto { $email }. Danach sind Sie angemeldet und landen auf Ihrer Kontoseite.
invitation-admin-intro = Wählen Sie ein Passwort für Ihr Konto { $email }. Danach sind Sie angemeldet und landen in der Verwaltungskonsole.
invitation-submit = Annehmen und anmelden

## Passwort zurücksetzen
reset-title = Passwort zurücksetzen
reset-intro = Wir senden Ihnen einen Link, mit dem Sie ein neues Passwort wählen können.
reset-submit = Link senden
reset-sent = Falls für diese Adresse ein Konto existiert, haben wir einen Link zum Wählen eines neuen Passworts an sie gesendet. Er ist 30 Minuten lang gültig.
reset-form-title = Neues Passwort wählen
reset-form-intro = Dadurch werden Sie überall abgemeldet, und alle Apps verlieren den Zugriff auf Ihr Konto.
reset-form-submit = Passwort festlegen

## Registrierung und Bestätigung der Adresse
signup-title = Konto erstellen
signup-submit = Konto erstellen
signup-sent = Sehen Sie in Ihrem Posteingang nach: Wir haben Ihnen eine Nachricht zum Fortfahren gesendet.
verify-title = Bestätigen Sie Ihre E-Mail-Adresse
verify-intro = Klicken Sie auf die Schaltfläche, um zu bestätigen, dass diese Adresse Ihnen gehört. Vorher wird nichts bestätigt.
verify-submit = Adresse bestätigen

## Abmelden
logout-title = Abmelden
logout-heading = Abmelden?
logout-question = Möchten Sie sich von { $tenant } abmelden?
logout-question-return = Möchten Sie sich von { $tenant } abmelden und zu { $client } zurückkehren?
logout-submit = Abmelden

## Dates and durations
date-time = { $day }. { $month } { $year }, { $time } { $zone }
month-1 = Jan.
month-2 = Feb.
month-3 = März
month-4 = Apr.
month-5 = Mai
month-6 = Juni
month-7 = Juli
month-8 = Aug.
month-9 = Sept.
month-10 = Okt.
month-11 = Nov.
month-12 = Dez.
time-just-now = gerade eben
time-ago-minutes =
    { $n ->
        [one] vor { $n } Minute
       *[other] vor { $n } Minuten
    }
time-ago-hours =
    { $n ->
        [one] vor { $n } Stunde
       *[other] vor { $n } Stunden
    }
time-ago-days =
    { $n ->
        [one] vor { $n } Tag
       *[other] vor { $n } Tagen
    }
time-ago-months =
    { $n ->
        [one] vor { $n } Monat
       *[other] vor { $n } Monaten
    }
time-ago-years =
    { $n ->
        [one] vor { $n } Jahr
       *[other] vor { $n } Jahren
    }
time-in-minutes =
    { $n ->
        [one] in { $n } Minute
       *[other] in { $n } Minuten
    }
time-in-hours =
    { $n ->
        [one] in { $n } Stunde
       *[other] in { $n } Stunden
    }
time-in-days =
    { $n ->
        [one] in { $n } Tag
       *[other] in { $n } Tagen
    }
time-in-months =
    { $n ->
        [one] in { $n } Monat
       *[other] in { $n } Monaten
    }
time-in-years =
    { $n ->
        [one] in { $n } Jahr
       *[other] in { $n } Jahren
    }
duration-moment = weniger als eine Minute
duration-minutes =
    { $n ->
        [one] { $n } Minute
       *[other] { $n } Minuten
    }
duration-hours =
    { $n ->
        [one] { $n } Stunde
       *[other] { $n } Stunden
    }
duration-days =
    { $n ->
        [one] { $n } Tag
       *[other] { $n } Tage
    }
device-title = Gerät verbinden
device-intro = Geben Sie den Code ein, den Ihr Gerät anzeigt. Danach melden Sie sich hier an und bestätigen.
device-code = Code
device-submit = Weiter
device-invalid = Dieser Code ist ungültig oder abgelaufen. Prüfen Sie den Code auf Ihrem Gerät und versuchen Sie es erneut.
device-approved-title = Ihr Gerät ist verbunden
device-approved-body = { $client } ist auf Ihrem Gerät angemeldet. Sie können diese Seite schließen.
device-denied-title = Das Gerät wurde nicht verbunden
device-denied-body = Das Gerät hat keinen Zugriff erhalten. Sie können diese Seite schließen.
device-gone-title = Dieser Code ist nicht mehr gültig
device-gone-body = Der Code ist abgelaufen oder wurde schon verwendet. Beginnen Sie auf Ihrem Gerät von vorn.
consent-device-warning = Ein Gerät möchte sich mit dem Code { $code } als Sie anmelden. Erlauben Sie das nur, wenn Sie es selbst begonnen haben und Ihr Gerät diesen Code zeigt.

email-change-title = Neue Anmelde-E-Mail-Adresse bestätigen
email-change-intro = Drücken Sie die Schaltfläche, um { $email } zur Anmelde-E-Mail-Adresse Ihres Kontos zu machen. Bis dahin ändert sich nichts.
email-change-submit = Neue Adresse bestätigen
email-changed-title = Anmelde-E-Mail-Adresse geändert
email-changed-body = Sie melden sich jetzt mit { $email } an. Wir haben Ihre bisherige Adresse benachrichtigt; sie kann die Änderung 7 Tage lang rückgängig machen.
email-change-taken-title = Adresse bereits vergeben
email-change-taken-body = Ein anderes Konto hat diese Adresse inzwischen, daher wurde die Anmelde-E-Mail-Adresse nicht geändert. Wenden Sie sich an einen Administrator.
email-revert-title = Änderung der Anmelde-E-Mail-Adresse rückgängig machen
email-revert-intro = Damit wird { $email } wieder Ihre Anmelde-E-Mail-Adresse, Ihr Konto wird überall abgemeldet und Apps verlieren ihre Berechtigungen dafür. Wählen Sie ein neues Passwort: Wer die Änderung vorgenommen hat, kennt vielleicht das alte.
email-revert-code-intro = Ihr Konto nutzt die Zwei-Faktor-Anmeldung: Geben Sie einen Code aus Ihrer Authenticator-App oder einen Wiederherstellungscode ein. Wenn Sie beides verloren haben, kann ein Administrator helfen.
email-revert-submit = Meine Adresse wiederherstellen
email-revert-wrong-code = Dieser Code stimmte nicht. Geben Sie einen aktuellen Code aus Ihrer Authenticator-App oder einen unbenutzten Wiederherstellungscode ein.
email-reverted-title = Adresse wiederhergestellt
email-reverted-body = { $email } ist wieder Ihre Anmelde-E-Mail-Adresse, mit Ihrem neuen Passwort. Alle Sitzungen wurden abgemeldet.

merge-title = Konten zusammenführen
merge-intro = Diese Profile von { $email } ziehen mit ihren Einwilligungen und Rollen in das Konto um, bei dem Sie angemeldet sind:
merge-consequences = Apps sehen weiterhin dieselben Profile. Das andere Konto wird danach geschlossen: Es wird überall abgemeldet, seine Adresse meldet nicht mehr an, und was Apps dafür hielten, endet.
merge-submit = Konten zusammenführen
