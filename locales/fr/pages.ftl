language-switcher = Langue
forgot-password = Mot de passe oublié ?
login-title = Se connecter
login-continue-to = pour continuer vers { $client }
login-email = Adresse e-mail
login-password = Mot de passe
login-submit = Se connecter
login-failed = L’adresse e-mail ou le mot de passe est incorrect, ou ce compte ne peut pas se connecter.
login-to-account = votre compte
login-to-console = la console d’administration
consent-page-title = Autoriser l’accès
consent-title = Autoriser { $client } ?
consent-signed-in-as = Connecté en tant que { $user }
consent-would-like = { $client } souhaite :
consent-version-required = version { $version }, obligatoire
consent-version-optional = version { $version }, facultative
consent-changed-since = Modifié depuis la version { $version }, que vous avez acceptée :
consent-read = Lire { $name }
consent-agree-optional = J’accepte (facultatif)
consent-accepts-required = Choisir « Autoriser » accepte les conditions obligatoires ci-dessus.
consent-deny = Refuser
consent-allow = Autoriser
scope-openid = Vous connecter avec votre compte
scope-profile = Voir le nom de votre profil
scope-email = Voir votre adresse e-mail
scope-offline_access = Garder l’accès quand vous ne l’utilisez pas (rester connecté)
scope-verified_claims = Votre identité vérifiée : votre nom légal et la façon dont il a été vérifié
scope-tessera-admin = Administrer cette organisation avec vos droits d’administration
scope-api = Utiliser { $api } pour vous : { $scopes }

## Commun
continue = Continuer
sign-out = Se déconnecter
back-to-account = Retour à votre compte
current-password = Mot de passe actuel
password-with-length = Mot de passe (au moins { $min } caractères)
new-password-with-length = Nouveau mot de passe (au moins { $min } caractères)
password-too-short = Ce mot de passe est trop court : utilisez au moins { $min } caractères.
password-too-long = Ce mot de passe est trop long.
password-common = Ce mot de passe est trop courant. Choisissez-en un autre.
email-invalid = Cette adresse e-mail n’est pas valide.
link-sign-in-account = Se connecter à votre compte
link-sign-in-console = Administrateurs : se connecter à la console
link-console = Administrateurs : la console
link-discovery = Pour les développeurs : le document de découverte OpenID Connect
link-reset-again = Demander un nouveau lien

## Pages de message : chacune a un titre et un texte
expired-request-title = Cette connexion a expiré
expired-request-body = La demande de connexion est trop ancienne ou a été lancée dans un autre navigateur. Revenez à l’application et recommencez.
bad-form-title = Ce formulaire a expiré
bad-form-body = Le formulaire n’a pas pu être vérifié (il est peut-être trop ancien, ou les cookies sont bloqués). Revenez à l’application et recommencez.
failure-title = Une erreur s’est produite
failure-body = La demande n’a pas pu aboutir. Veuillez réessayer dans un instant.
busy-title = Service momentanément occupé
busy-body = Tessera est très sollicité en ce moment et rien n’a été modifié. Veuillez réessayer dans quelques secondes.
rate-limited-title = Trop de tentatives
rate-limited-body = Il y a eu trop de tentatives de connexion depuis votre réseau. Attendez une minute et réessayez.
issuer-page-title = { $tenant }
issuer-page-body = Ceci est le service de connexion de { $tenant }. Les applications vous envoient ici pour vous connecter ; vous pouvez aussi gérer directement votre compte.
link-expired-title = Ce lien a expiré
link-expired-body = Le lien n’est pas valide, a déjà été utilisé ou est trop ancien. Demandez-en un nouveau.
reset-expired-title = Ce lien a expiré
reset-expired-body = Le lien n’est pas valide, a déjà été utilisé ou date de plus de 30 minutes. Demandez-en un nouveau.
invitation-expired-title = Ce lien d’invitation ne fonctionne plus
invitation-expired-body = Il n’est pas valide, a déjà été utilisé, a été remplacé par un lien plus récent ou date de plus de 7 jours. Demandez à la personne qui vous a invité de vous le renvoyer. Si vous avez déjà choisi votre mot de passe, connectez-vous.
password-changed-title = Votre mot de passe a été modifié
password-changed-body = Toutes les sessions ont été déconnectées. Reconnectez-vous avec votre nouveau mot de passe.
signed-out-title = Vous êtes déconnecté
signed-out-body = Vous avez été déconnecté. Vous pouvez fermer cette fenêtre.
signup-closed-title = Les inscriptions sont fermées
signup-closed-body = Ici, les comptes sont créés par un administrateur.
verified-account-title = Adresse confirmée
verified-account-body = Merci : votre adresse e-mail est confirmée. Vous pouvez vous connecter.
verified-profile-title = Adresse confirmée
verified-profile-body = Merci : l’adresse e-mail du profil est confirmée.
confirm-email-first-title = Confirmez votre adresse e-mail
confirm-email-first-body = Cette organisation vous demande d’abord de confirmer votre adresse e-mail. Nous vous avons envoyé un nouveau lien.
mfa-exhausted-title = Trop de codes erronés
mfa-exhausted-body = Reconnectez-vous pour avoir une nouvelle chance.
signin-refused-title = Connexion refusée
signin-refused-body = Ce compte ne peut pas se connecter pour le moment.
deletion-scheduled-title = Votre compte va être supprimé
deletion-scheduled-body = Vous êtes déconnecté partout et les applications que vous utilisiez ont perdu l’accès. Dans { $grace }, votre adresse e-mail, vos profils et tout ce qu’ils contiennent seront détruits. Vous avez changé d’avis ? Connectez-vous d’ici là et rien ne sera supprimé.
authorize-invalid = Demande de connexion non valide
logout-invalid = Demande de déconnexion non valide
logout-unregistered-return = L’application a demandé à revenir à une adresse qu’elle n’a pas enregistrée.

## Validation en deux étapes
mfa-title = Validation en deux étapes
mfa-intro = Saisissez le code à 6 chiffres de votre application d’authentification, ou l’un de vos codes de récupération.
mfa-code = Code
mfa-verify = Vérifier
mfa-wrong = Ce code n’est pas valide. Essayez le code actuel de votre application, ou un code de récupération.
mfa-required = Cette connexion exige la validation en deux étapes. Configurez-la pour continuer.
mfa-setup-title = Configurer la validation en deux étapes
mfa-setup-scan = Scannez ce code avec une application d’authentification, ou saisissez-y la clé ci-dessous.
mfa-setup-key = Clé :
mfa-setup-code = Code de l’application
mfa-setup-submit = Activer
recovery-title = Codes de récupération
recovery-heading = La validation en deux étapes est activée
recovery-intro = Conservez ces codes de récupération en lieu sûr. Chacun fonctionne une seule fois, si vous perdez votre application d’authentification. Ils ne sont affichés que maintenant.

## Choix du profil
picker-title = Choisir un profil
picker-heading = Continuer en tant que…
picker-intro = Choisissez le profil que { $client } verra.
picker-profiles-of = Profils de { $email }

## Invitation
invitation-title = Vous avez été invité à rejoindre { $tenant }
invitation-admin-title = Vous avez été invité à administrer { $tenant }
invitation-intro = Choisissez un mot de passe pour votre compte { $email }. Vous arriverez ensuite, connecté, sur la page de votre compte.
invitation-admin-intro = Choisissez un mot de passe pour votre compte { $email }. Vous arriverez ensuite, connecté, sur la console d’administration.
invitation-submit = Accepter et se connecter

## Réinitialisation du mot de passe
reset-title = Réinitialiser votre mot de passe
reset-intro = Nous vous enverrons un lien pour choisir un nouveau mot de passe.
reset-submit = Envoyer le lien
reset-sent = Si un compte existe pour cette adresse, nous lui avons envoyé un lien pour choisir un nouveau mot de passe. Il est valable 30 minutes.
reset-form-title = Choisir un nouveau mot de passe
reset-form-intro = Cela vous déconnecte partout et met fin à l’accès de toutes les applications à votre compte.
reset-form-submit = Définir le mot de passe

## Inscription et confirmation de l’adresse
signup-title = Créer un compte
signup-submit = Créer le compte
signup-sent = Consultez votre boîte de réception : nous vous avons envoyé un message pour continuer.
verify-title = Confirmez votre adresse e-mail
verify-intro = Appuyez sur le bouton pour confirmer que cette adresse est bien la vôtre. Rien n’est confirmé tant que vous ne l’avez pas fait.
verify-submit = Confirmer l’adresse

## Déconnexion
logout-title = Se déconnecter
logout-heading = Se déconnecter ?
logout-question = Voulez-vous vous déconnecter de { $tenant } ?
logout-question-return = Voulez-vous vous déconnecter de { $tenant } et revenir à { $client } ?
logout-submit = Se déconnecter

## Dates and durations
date-time = { $day } { $month } { $year }, { $time } { $zone }
month-1 = janv.
month-2 = févr.
month-3 = mars
month-4 = avr.
month-5 = mai
month-6 = juin
month-7 = juil.
month-8 = août
month-9 = sept.
month-10 = oct.
month-11 = nov.
month-12 = déc.
time-just-now = à l’instant
time-ago-minutes =
    { $n ->
        [one] il y a { $n } minute
       *[other] il y a { $n } minutes
    }
time-ago-hours =
    { $n ->
        [one] il y a { $n } heure
       *[other] il y a { $n } heures
    }
time-ago-days =
    { $n ->
        [one] il y a { $n } jour
       *[other] il y a { $n } jours
    }
time-ago-months =
    { $n ->
        [one] il y a { $n } mois
       *[other] il y a { $n } mois
    }
time-ago-years =
    { $n ->
        [one] il y a { $n } an
       *[other] il y a { $n } ans
    }
time-in-minutes =
    { $n ->
        [one] dans { $n } minute
       *[other] dans { $n } minutes
    }
time-in-hours =
    { $n ->
        [one] dans { $n } heure
       *[other] dans { $n } heures
    }
time-in-days =
    { $n ->
        [one] dans { $n } jour
       *[other] dans { $n } jours
    }
time-in-months =
    { $n ->
        [one] dans { $n } mois
       *[other] dans { $n } mois
    }
time-in-years =
    { $n ->
        [one] dans { $n } an
       *[other] dans { $n } ans
    }
duration-moment = un instant
duration-minutes =
    { $n ->
        [one] { $n } minute
       *[other] { $n } minutes
    }
duration-hours =
    { $n ->
        [one] { $n } heure
       *[other] { $n } heures
    }
duration-days =
    { $n ->
        [one] { $n } jour
       *[other] { $n } jours
    }
device-title = Connecter un appareil
device-intro = Saisissez le code affiché par votre appareil. Vous vous connectez ensuite ici et confirmez.
device-code = Code
device-submit = Continuer
device-invalid = Ce code n’est pas valide ou a expiré. Vérifiez le code sur votre appareil et réessayez.
device-approved-title = Votre appareil est connecté
device-approved-body = { $client } est connecté sur votre appareil. Vous pouvez fermer cette page.
device-denied-title = L’appareil n’a pas été connecté
device-denied-body = L’appareil n’a pas reçu d’accès. Vous pouvez fermer cette page.
device-gone-title = Ce code n’est plus valide
device-gone-body = Le code a expiré ou a déjà été utilisé. Recommencez sur votre appareil.
consent-device-warning = Un appareil demande à se connecter en votre nom avec le code { $code }. Ne l’autorisez que si vous l’avez lancé vous-même et que votre appareil affiche ce code.

email-change-title = Confirmez votre nouvelle adresse de connexion
email-change-intro = Appuyez sur le bouton pour faire de { $email } l’adresse de connexion de votre compte. Rien ne change tant que vous ne l’avez pas fait.
email-change-submit = Confirmer la nouvelle adresse
email-changed-title = Adresse de connexion changée
email-changed-body = Vous vous connectez désormais avec { $email }. Nous avons prévenu votre adresse précédente, qui peut annuler le changement pendant 7 jours.
email-change-taken-title = Adresse déjà utilisée
email-change-taken-body = Un autre compte a désormais cette adresse : l’adresse de connexion n’a pas été changée. Demandez de l’aide à un administrateur.
email-revert-title = Annuler le changement d’adresse de connexion
email-revert-intro = Cela rétablit { $email } comme adresse de connexion, déconnecte votre compte partout et met fin à ce que les applications peuvent faire en son nom. Choisissez un nouveau mot de passe : l’auteur du changement connaît peut-être l’ancien.
email-revert-code-intro = Votre compte utilise la validation en deux étapes : saisissez un code de votre application d’authentification, ou un code de récupération. Si vous avez perdu les deux, un administrateur peut vous aider.
email-revert-submit = Rétablir mon adresse
email-revert-wrong-code = Ce code ne correspond pas. Saisissez un code actuel de votre application d’authentification, ou un code de récupération inutilisé.
email-reverted-title = Adresse rétablie
email-reverted-body = { $email } est de nouveau votre adresse de connexion, avec votre nouveau mot de passe. Toutes les sessions ont été déconnectées.

merge-title = Fusionner les comptes
merge-intro = Ces profils de { $email } rejoignent le compte auquel vous êtes connecté, avec leurs consentements et leurs rôles :
merge-consequences = Les applications voient toujours les mêmes profils. L’autre compte est ensuite fermé : il est déconnecté partout, son adresse ne permet plus de se connecter, et ce que les applications détenaient pour lui prend fin.
merge-submit = Fusionner les comptes
