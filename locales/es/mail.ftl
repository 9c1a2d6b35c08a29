# Correos, español. Cada mensaje: asunto, introducción (y detalle), acción (el texto del
# enlace), validez, cierre; `{ $tenant }` es el nombre de la organización.
mail-reset-subject = Restablezca su contraseña de { $tenant }
mail-reset-intro = Alguien ha pedido restablecer la contraseña de su cuenta de { $tenant }.
mail-reset-action = Elegir una nueva contraseña
mail-reset-validity = El enlace funciona durante { $minutes } minutos, una sola vez.
mail-reset-outro = Si no fue usted, ignore este mensaje: su contraseña seguirá siendo la misma.

mail-verify-subject = Confirme su dirección de correo electrónico para { $tenant }
mail-verify-intro = Confirme que { $email } es su dirección para { $tenant }.
mail-verify-action = Confirmar esta dirección
mail-verify-validity = El enlace funciona durante 24 horas, una sola vez.
mail-verify-outro = Si no lo ha solicitado, ignore este mensaje.

mail-exists-subject = Su cuenta de { $tenant }
mail-exists-intro = Alguien ha intentado crear una cuenta de { $tenant } con esta dirección, que ya tiene una.
mail-exists-detail = Si fue usted, inicie sesión en su lugar o restablezca su contraseña.
mail-exists-action = Restablecer su contraseña
mail-exists-outro = Si no fue usted, ignore este mensaje.

mail-inactive-subject = Su cuenta de { $tenant } se eliminará si no inicia sesión
mail-inactive-intro = Su cuenta de { $tenant } no se usa desde hace mucho tiempo.
mail-inactive-action = Para conservarla, inicie sesión antes del { $date }
mail-inactive-outro = Si no hace nada, la cuenta y todo lo que contiene (sus perfiles y los datos de estos) se eliminarán ese día, según la política de conservación de datos de { $tenant }. Si ya no la quiere, no tiene que hacer nada más.

mail-invite-subject = Le han invitado a { $tenant }
mail-invite-intro = Le han invitado a { $tenant }. La dirección de su cuenta es { $email }.
mail-invite-action = Aceptar la invitación y elegir una contraseña
mail-invite-validity = El enlace funciona durante { $days } días, una sola vez. Después llegará, con la sesión iniciada, a la página de su cuenta de { $tenant }.
mail-invite-outro = Si no esperaba esta invitación, ignore este mensaje: no ocurre nada hasta que se elija una contraseña mediante el enlace.

mail-invite-admin-subject = Le han invitado a administrar { $tenant }
mail-invite-admin-intro = Le han invitado a administrar { $tenant }. La dirección de su cuenta es { $email }.
mail-invite-admin-action = Aceptar la invitación y elegir una contraseña
mail-invite-admin-validity = El enlace funciona durante { $days } días, una sola vez. Después llegará, con la sesión iniciada, a la consola de administración de { $tenant }.
mail-invite-admin-outro = Si no esperaba esta invitación, ignore este mensaje: no ocurre nada hasta que se elija una contraseña mediante el enlace.

mail-email-change-subject = Confirme su nueva dirección de inicio de sesión para { $tenant }
mail-email-change-intro = Alguien ha pedido que { $email } sea la dirección de inicio de sesión de una cuenta de { $tenant }.
mail-email-change-action = Confirmar esta dirección
mail-email-change-validity = El enlace funciona durante 24 horas, una sola vez. Hasta entonces, la cuenta conserva su dirección anterior.
mail-email-change-outro = Si no lo ha pedido usted, ignore este mensaje.

mail-email-taken-subject = Su cuenta de { $tenant }
mail-email-taken-intro = Alguien ha intentado que esta dirección sea la de inicio de sesión de otra cuenta de { $tenant }, pero ya pertenece a la suya. No se ha cambiado nada.
mail-email-taken-action = Iniciar sesión en su cuenta
mail-email-taken-outro = Si no ha sido usted, ignore este mensaje.

mail-email-changed-subject = Se ha cambiado la dirección de inicio de sesión de su cuenta de { $tenant }
mail-email-changed-intro = La dirección de inicio de sesión de su cuenta de { $tenant } es ahora { $email }. Esta dirección ya no permite iniciar sesión en ella.
mail-email-changed-detail = Si no ha hecho usted este cambio, deshágalo: el enlace restablece esta dirección, cierra la sesión de la cuenta en todas partes y le pide una contraseña nueva.
mail-email-changed-action = Deshacer el cambio
mail-email-changed-validity = El enlace funciona durante 7 días, una sola vez.
mail-email-changed-outro = Si ha hecho el cambio usted mismo, no hay nada que hacer.
