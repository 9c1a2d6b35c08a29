# E-Mails, Deutsch. Jede Nachricht: Betreff, Einleitung (und Details), Aktion (der Text des
# Links), Gültigkeit, Schluss; `{ $tenant }` ist der Name der Organisation.
mail-reset-subject = Ihr Passwort für { $tenant } zurücksetzen
mail-reset-intro = Jemand hat angefordert, das Passwort Ihres Kontos bei { $tenant } zurückzusetzen.
mail-reset-action = Neues Passwort wählen
mail-reset-validity = Der Link ist { $minutes } Minuten lang gültig und funktioniert nur einmal.
mail-reset-outro = Falls Sie das nicht waren, ignorieren Sie diese Nachricht: Ihr Passwort bleibt unverändert.

mail-verify-subject = Bestätigen Sie Ihre E-Mail-Adresse für { $tenant }
mail-verify-intro = Bitte bestätigen Sie, dass { $email } Ihre Adresse für { $tenant } ist.
mail-verify-action = Diese Adresse bestätigen
mail-verify-validity = Der Link ist 24 Stunden lang gültig und funktioniert nur einmal.
mail-verify-outro = Falls Sie dies nicht angefordert haben, ignorieren Sie diese Nachricht.

mail-exists-subject = Ihr Konto bei { $tenant }
mail-exists-intro = Jemand hat versucht, mit dieser Adresse ein Konto bei { $tenant } zu erstellen, obwohl für sie bereits eines besteht.
mail-exists-detail = Falls Sie das waren, melden Sie sich stattdessen an oder setzen Sie Ihr Passwort zurück.
mail-exists-action = Passwort zurücksetzen
mail-exists-outro = Falls Sie das nicht waren, ignorieren Sie diese Nachricht.

mail-inactive-subject = Ihr Konto bei { $tenant } wird gelöscht, wenn Sie sich nicht anmelden
mail-inactive-intro = Ihr Konto bei { $tenant } wurde lange nicht verwendet.
mail-inactive-action = Um es zu behalten, melden Sie sich vor dem { $date } an
mail-inactive-outro = Wenn Sie nichts tun, werden das Konto und alles darin (seine Profile und deren Daten) an diesem Tag gelöscht, wie es die Richtlinie zur Datenaufbewahrung von { $tenant } vorsieht. Wenn Sie das Konto nicht mehr benötigen, müssen Sie nichts weiter tun.

mail-invite-subject = Sie wurden zu { $tenant } eingeladen
mail-invite-intro = Sie wurden zu { $tenant } eingeladen. Die Adresse Ihres Kontos ist { $email }.
mail-invite-action = Einladung annehmen und Passwort wählen
mail-invite-validity = Der Link ist { $days } Tage lang gültig und funktioniert nur einmal. Danach sind Sie angemeldet und landen auf Ihrer Kontoseite bei { $tenant }.
mail-invite-outro = Falls Sie diese Einladung nicht erwartet haben, ignorieren Sie diese Nachricht: Es geschieht nichts, solange über den Link kein Passwort gewählt wird.

mail-invite-admin-subject = Sie wurden eingeladen, { $tenant } zu verwalten
mail-invite-admin-intro = Sie wurden eingeladen, { $tenant } zu verwalten. Die Adresse Ihres Kontos ist { $email }.
mail-invite-admin-action = Einladung annehmen und Passwort wählen
mail-invite-admin-validity = Der Link ist { $days } Tage lang gültig und funktioniert nur einmal. Danach sind Sie angemeldet und landen in der Verwaltungskonsole von { $tenant }.
mail-invite-admin-outro = Falls Sie diese Einladung nicht erwartet haben, ignorieren Sie diese Nachricht: Es geschieht nichts, solange über den Link kein Passwort gewählt wird.

mail-email-change-subject = Bestätigen Sie Ihre neue Anmelde-E-Mail-Adresse für { $tenant }
mail-email-change-intro = Jemand möchte { $email } zur Anmelde-E-Mail-Adresse eines { $tenant }-Kontos machen.
mail-email-change-action = Diese Adresse bestätigen
mail-email-change-validity = Der Link funktioniert 24 Stunden lang, einmal. Bis dahin behält das Konto seine alte Adresse.
mail-email-change-outro = Wenn Sie das nicht angefordert haben, ignorieren Sie diese Nachricht.

mail-email-taken-subject = Ihr { $tenant }-Konto
mail-email-taken-intro = Jemand wollte diese Adresse zur Anmelde-E-Mail-Adresse eines anderen { $tenant }-Kontos machen, sie gehört aber bereits zu Ihrem. Es wurde nichts geändert.
mail-email-taken-action = Bei Ihrem Konto anmelden
mail-email-taken-outro = Wenn Sie das nicht waren, ignorieren Sie diese Nachricht.

mail-email-changed-subject = Die Anmelde-E-Mail-Adresse Ihres { $tenant }-Kontos wurde geändert
mail-email-changed-intro = Die Anmelde-E-Mail-Adresse Ihres { $tenant }-Kontos wurde in { $email } geändert. Mit dieser Adresse können Sie sich nicht mehr anmelden.
mail-email-changed-detail = Wenn Sie diese Änderung nicht vorgenommen haben, machen Sie sie rückgängig: Der Link stellt diese Adresse wieder her, meldet das Konto überall ab und fragt nach einem neuen Passwort.
mail-email-changed-action = Änderung rückgängig machen
mail-email-changed-validity = Der Link funktioniert 7 Tage lang, einmal.
mail-email-changed-outro = Wenn Sie die Änderung selbst vorgenommen haben, ist nichts zu tun.
