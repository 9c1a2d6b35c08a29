# E-mails, français. Chaque message : objet, introduction (et détail), action (le texte du
# lien), validité, conclusion ; `{ $tenant }` est le nom de l’organisation.
mail-reset-subject = Réinitialisez votre mot de passe { $tenant }
mail-reset-intro = Quelqu’un a demandé à réinitialiser le mot de passe de votre compte { $tenant }.
mail-reset-action = Choisir un nouveau mot de passe
mail-reset-validity = Le lien est valable { $minutes } minutes, une seule fois.
mail-reset-outro = Si ce n’était pas vous, ignorez ce message : votre mot de passe reste inchangé.

mail-verify-subject = Confirmez votre adresse e-mail pour { $tenant }
mail-verify-intro = Veuillez confirmer que { $email } est bien votre adresse pour { $tenant }.
mail-verify-action = Confirmer cette adresse
mail-verify-validity = Le lien est valable 24 heures, une seule fois.
mail-verify-outro = Si vous n’avez rien demandé, ignorez ce message.

mail-exists-subject = Votre compte { $tenant }
mail-exists-intro = Quelqu’un a essayé de créer un compte { $tenant } avec cette adresse, qui en possède déjà un.
mail-exists-detail = Si c’était vous, connectez-vous plutôt, ou réinitialisez votre mot de passe.
mail-exists-action = Réinitialiser votre mot de passe
mail-exists-outro = Si ce n’était pas vous, ignorez ce message.

mail-inactive-subject = Votre compte { $tenant } sera supprimé si vous ne vous connectez pas
mail-inactive-intro = Votre compte { $tenant } n’a pas été utilisé depuis longtemps.
mail-inactive-action = Pour le conserver, connectez-vous avant le { $date }
mail-inactive-outro = Si vous ne faites rien, le compte et tout ce qu’il contient (ses profils et leurs données) seront supprimés ce jour-là, conformément à la politique de conservation des données de { $tenant }. Si vous n’en voulez plus, vous n’avez rien d’autre à faire.

mail-invite-subject = Vous avez été invité à rejoindre { $tenant }
mail-invite-intro = Vous avez été invité à rejoindre { $tenant }. L’adresse de votre compte est { $email }.
mail-invite-action = Accepter l’invitation et choisir un mot de passe
mail-invite-validity = Le lien est valable { $days } jours, une seule fois. Vous arriverez ensuite, connecté, sur la page de votre compte { $tenant }.
mail-invite-outro = Si vous n’attendiez pas cette invitation, ignorez ce message : rien ne se passe tant qu’aucun mot de passe n’a été choisi via le lien.

mail-invite-admin-subject = Vous avez été invité à administrer { $tenant }
mail-invite-admin-intro = Vous avez été invité à administrer { $tenant }. L’adresse de votre compte est { $email }.
mail-invite-admin-action = Accepter l’invitation et choisir un mot de passe
mail-invite-admin-validity = Le lien est valable { $days } jours, une seule fois. Vous arriverez ensuite, connecté, sur la console d’administration de { $tenant }.
mail-invite-admin-outro = Si vous n’attendiez pas cette invitation, ignorez ce message : rien ne se passe tant qu’aucun mot de passe n’a été choisi via le lien.

mail-email-change-subject = Confirmez votre nouvelle adresse de connexion pour { $tenant }
mail-email-change-intro = Quelqu’un a demandé que { $email } devienne l’adresse de connexion d’un compte { $tenant }.
mail-email-change-action = Confirmer cette adresse
mail-email-change-validity = Le lien fonctionne pendant 24 heures, une seule fois. D’ici là, le compte garde son ancienne adresse.
mail-email-change-outro = Si vous n’avez rien demandé, ignorez ce message.

mail-email-taken-subject = Votre compte { $tenant }
mail-email-taken-intro = Quelqu’un a essayé de faire de cette adresse l’adresse de connexion d’un autre compte { $tenant }, mais elle appartient déjà au vôtre. Rien n’a été modifié.
mail-email-taken-action = Vous connecter à votre compte
mail-email-taken-outro = Si ce n’était pas vous, ignorez ce message.

mail-email-changed-subject = L’adresse de connexion de votre compte { $tenant } a été modifiée
mail-email-changed-intro = L’adresse de connexion de votre compte { $tenant } est désormais { $email }. Cette adresse-ci ne permet plus de vous y connecter.
mail-email-changed-detail = Si vous n’êtes pas à l’origine de ce changement, annulez-le : le lien rétablit cette adresse, déconnecte le compte partout et vous demande un nouveau mot de passe.
mail-email-changed-action = Annuler le changement
mail-email-changed-validity = Le lien fonctionne pendant 7 jours, une seule fois.
mail-email-changed-outro = Si vous avez fait ce changement vous-même, il n’y a rien à faire.
