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
