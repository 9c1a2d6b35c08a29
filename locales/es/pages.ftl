language-switcher = Idioma
forgot-password = ¿Olvidó su contraseña?
login-title = Iniciar sesión
login-continue-to = para continuar en { $client }
login-email = Correo electrónico
login-password = Contraseña
login-submit = Iniciar sesión
login-failed = El correo electrónico o la contraseña no son correctos, o esta cuenta no puede iniciar sesión.
login-to-account = su cuenta
login-to-console = la consola de administración
consent-page-title = Permitir el acceso
consent-title = ¿Permitir { $client }?
consent-signed-in-as = Sesión iniciada como { $user }
consent-would-like = { $client } quiere:
consent-version-required = versión { $version }, obligatoria
consent-version-optional = versión { $version }, opcional
consent-changed-since = Ha cambiado desde la versión { $version }, que usted aceptó:
consent-read = Leer { $name }
consent-agree-optional = Acepto (opcional)
consent-accepts-required = Al elegir «Permitir» acepta las condiciones obligatorias anteriores.
consent-deny = Denegar
consent-allow = Permitir
scope-openid = Iniciar su sesión con su cuenta
scope-profile = Ver el nombre de su perfil
scope-email = Ver su correo electrónico
scope-offline_access = Mantener el acceso cuando no lo use (seguir conectado)
scope-verified_claims = Su identidad verificada: su nombre legal y cómo se comprobó
scope-tessera-admin = Administrar esta organización con sus permisos de administración
scope-api = Usar { $api } en su nombre: { $scopes }

## Común
continue = Continuar
sign-out = Cerrar sesión
back-to-account = Volver a su cuenta
current-password = Contraseña actual
password-with-length = Contraseña (al menos { $min } caracteres)
new-password-with-length = Nueva contraseña (al menos { $min } caracteres)
password-too-short = Esa contraseña es demasiado corta: use al menos { $min } caracteres.
password-too-long = Esa contraseña es demasiado larga.
password-common = Esa contraseña es demasiado común. Elija otra.
email-invalid = Esa dirección de correo electrónico no es válida.
link-sign-in-account = Iniciar sesión en su cuenta
link-sign-in-console = Administradores: iniciar sesión en la consola
link-console = Administradores: la consola
link-discovery = Para desarrolladores: el documento de descubrimiento de OpenID Connect
link-reset-again = Solicitar un enlace nuevo

## Páginas de mensaje: cada una tiene un título y un texto
expired-request-title = Este inicio de sesión ha caducado
expired-request-body = La solicitud de inicio de sesión es demasiado antigua o se inició en otro navegador. Vuelva a la aplicación y empiece de nuevo.
bad-form-title = Este formulario ha caducado
bad-form-body = No se pudo verificar el formulario (puede que sea demasiado antiguo o que las cookies estén bloqueadas). Vuelva a la aplicación y empiece de nuevo.
failure-title = Algo salió mal
failure-body = No se pudo completar la solicitud. Inténtelo de nuevo en un momento.
busy-title = Ocupado por un momento
busy-body = Tessera está muy ocupado en este momento y no se ha cambiado nada. Inténtelo de nuevo en unos segundos.
rate-limited-title = Demasiados intentos
rate-limited-body = Ha habido demasiados intentos de inicio de sesión desde su red. Espere un minuto e inténtelo de nuevo.
issuer-page-title = { $tenant }
issuer-page-body = Este es el servicio de inicio de sesión de { $tenant }. Las aplicaciones le envían aquí para iniciar sesión; también puede gestionar su cuenta directamente.
link-expired-title = Este enlace ha caducado
link-expired-body = El enlace no es válido, ya se ha usado o es demasiado antiguo. Solicite uno nuevo.
reset-expired-title = Este enlace ha caducado
reset-expired-body = El enlace no es válido, ya se ha usado o tiene más de 30 minutos. Solicite uno nuevo.
invitation-expired-title = Este enlace de invitación ya no funciona
invitation-expired-body = No es válido, ya se ha usado, se ha sustituido por uno más reciente o tiene más de 7 días. Pida a quien le invitó que se lo vuelva a enviar. Si ya eligió su contraseña, inicie sesión.
password-changed-title = Se ha cambiado su contraseña
password-changed-body = Se han cerrado todas las sesiones. Vuelva a iniciar sesión con su nueva contraseña.
signed-out-title = Ha cerrado la sesión
signed-out-body = Se ha cerrado su sesión. Puede cerrar esta ventana.
signup-closed-title = El registro está cerrado
signup-closed-body = Aquí las cuentas las crea un administrador.
verified-account-title = Dirección confirmada
verified-account-body = Gracias: su dirección de correo electrónico está confirmada. Ya puede iniciar sesión.
verified-profile-title = Dirección confirmada
verified-profile-body = Gracias: la dirección de correo electrónico del perfil está confirmada.
confirm-email-first-title = Confirme su dirección de correo electrónico
confirm-email-first-body = Esta organización le pide que primero confirme su dirección de correo electrónico. Le hemos enviado un nuevo enlace.
mfa-exhausted-title = Demasiados códigos incorrectos
mfa-exhausted-body = Vuelva a iniciar sesión para tener una nueva oportunidad.
signin-refused-title = Inicio de sesión rechazado
signin-refused-body = Esta cuenta no puede iniciar sesión ahora.
deletion-scheduled-title = Su cuenta se eliminará
deletion-scheduled-body = Se ha cerrado su sesión en todas partes y las aplicaciones que usaba han perdido el acceso. Dentro de { $grace }, su correo electrónico, sus perfiles y todo lo que contienen se destruirán. ¿Ha cambiado de opinión? Inicie sesión antes de ese plazo y no se eliminará nada.
authorize-invalid = Solicitud de inicio de sesión no válida
logout-invalid = Solicitud de cierre de sesión no válida
logout-unregistered-return = La aplicación pidió volver a una dirección que no ha registrado.

## Verificación en dos pasos
mfa-title = Verificación en dos pasos
mfa-intro = Introduzca el código de 6 dígitos de su aplicación de autenticación o uno de sus códigos de recuperación.
mfa-code = Código
mfa-verify = Verificar
mfa-wrong = Ese código no es válido. Pruebe el código actual de su aplicación o un código de recuperación.
mfa-required = Este inicio de sesión requiere la verificación en dos pasos. Configúrela para continuar.
mfa-setup-title = Configurar la verificación en dos pasos
mfa-setup-scan = Escanee este código con una aplicación de autenticación o introduzca en ella la clave que aparece abajo.
mfa-setup-key = Clave:
mfa-setup-code = Código de la aplicación
mfa-setup-submit = Activar
recovery-title = Códigos de recuperación
recovery-heading = La verificación en dos pasos está activada
recovery-intro = Guarde estos códigos de recuperación en un lugar seguro. Cada uno funciona una sola vez, por si pierde su aplicación de autenticación. Solo se muestran ahora.

## Selección de perfil
picker-title = Elegir un perfil
picker-heading = Continuar como…
picker-intro = Elija el perfil que verá { $client }.
picker-profiles-of = Perfiles de { $email }

## Invitación
invitation-title = Le han invitado a { $tenant }
invitation-admin-title = Le han invitado a administrar { $tenant }
invitation-intro = Elija una contraseña para su cuenta { $email }. Después llegará, con la sesión iniciada, a la página de su cuenta.
invitation-admin-intro = Elija una contraseña para su cuenta { $email }. Después llegará, con la sesión iniciada, a la consola de administración.
invitation-submit = Aceptar e iniciar sesión

## Restablecimiento de la contraseña
reset-title = Restablecer su contraseña
reset-intro = Le enviaremos un enlace para elegir una nueva contraseña.
reset-submit = Enviar el enlace
reset-sent = Si existe una cuenta para esa dirección, le hemos enviado un enlace para elegir una nueva contraseña. Funciona durante 30 minutos.
reset-form-title = Elegir una nueva contraseña
reset-form-intro = Esto cierra su sesión en todas partes y pone fin al acceso de todas las aplicaciones a su cuenta.
reset-form-submit = Establecer la contraseña

## Registro y confirmación de la dirección
signup-title = Crear una cuenta
signup-submit = Crear cuenta
signup-sent = Revise su bandeja de entrada: le hemos enviado un mensaje para continuar.
verify-title = Confirme su dirección de correo electrónico
verify-intro = Pulse el botón para confirmar que esta dirección es suya. No se confirma nada hasta que lo haga.
verify-submit = Confirmar la dirección

## Cierre de sesión
logout-title = Cerrar sesión
logout-heading = ¿Cerrar sesión?
logout-question = ¿Desea cerrar sesión en { $tenant }?
logout-question-return = ¿Desea cerrar sesión en { $tenant } y volver a { $client }?
logout-submit = Cerrar sesión

## Dates and durations
date-time = { $day } { $month } { $year }, { $time } { $zone }
month-1 = ene
month-2 = feb
month-3 = mar
month-4 = abr
month-5 = may
month-6 = jun
month-7 = jul
month-8 = ago
month-9 = sept
month-10 = oct
month-11 = nov
month-12 = dic
time-just-now = justo ahora
time-ago-minutes =
    { $n ->
        [one] hace { $n } minuto
       *[other] hace { $n } minutos
    }
time-ago-hours =
    { $n ->
        [one] hace { $n } hora
       *[other] hace { $n } horas
    }
time-ago-days =
    { $n ->
        [one] hace { $n } día
       *[other] hace { $n } días
    }
time-ago-months =
    { $n ->
        [one] hace { $n } mes
       *[other] hace { $n } meses
    }
time-ago-years =
    { $n ->
        [one] hace { $n } año
       *[other] hace { $n } años
    }
time-in-minutes =
    { $n ->
        [one] dentro de { $n } minuto
       *[other] dentro de { $n } minutos
    }
time-in-hours =
    { $n ->
        [one] dentro de { $n } hora
       *[other] dentro de { $n } horas
    }
time-in-days =
    { $n ->
        [one] dentro de { $n } día
       *[other] dentro de { $n } días
    }
time-in-months =
    { $n ->
        [one] dentro de { $n } mes
       *[other] dentro de { $n } meses
    }
time-in-years =
    { $n ->
        [one] dentro de { $n } año
       *[other] dentro de { $n } años
    }
duration-moment = un momento
duration-minutes =
    { $n ->
        [one] { $n } minuto
       *[other] { $n } minutos
    }
duration-hours =
    { $n ->
        [one] { $n } hora
       *[other] { $n } horas
    }
duration-days =
    { $n ->
        [one] { $n } día
       *[other] { $n } días
    }
device-title = Conectar un dispositivo
device-intro = Introduzca el código que muestra su dispositivo. Después inicie sesión aquí y confirme.
device-code = Código
device-submit = Continuar
device-invalid = Ese código no es válido o ha caducado. Compruebe el código en su dispositivo e inténtelo de nuevo.
device-approved-title = Su dispositivo está conectado
device-approved-body = { $client } ha iniciado sesión en su dispositivo. Puede cerrar esta página.
device-denied-title = El dispositivo no se ha conectado
device-denied-body = El dispositivo no ha recibido acceso. Puede cerrar esta página.
device-gone-title = Este código ya no es válido
device-gone-body = El código ha caducado o ya se ha usado. Empiece de nuevo en su dispositivo.
consent-device-warning = Un dispositivo pide iniciar sesión en su nombre con el código { $code }. Permítalo solo si lo ha iniciado usted y su dispositivo muestra este código.

email-change-title = Confirme su nueva dirección de inicio de sesión
email-change-intro = Pulse el botón para que { $email } sea la dirección de inicio de sesión de su cuenta. Nada cambia hasta que lo haga.
email-change-submit = Confirmar la nueva dirección
email-changed-title = Dirección de inicio de sesión cambiada
email-changed-body = Ahora inicia sesión con { $email }. Hemos avisado a su dirección anterior, que puede deshacer el cambio durante 7 días.
email-change-taken-title = Dirección ya en uso
email-change-taken-body = Otra cuenta tiene ahora esta dirección, así que no se ha cambiado la dirección de inicio de sesión. Pida ayuda a un administrador.
email-revert-title = Deshacer el cambio de dirección de inicio de sesión
email-revert-intro = Esto restablece { $email } como su dirección de inicio de sesión, cierra la sesión de su cuenta en todas partes y retira lo que las aplicaciones pueden hacer con ella. Elija una contraseña nueva: quien hizo el cambio puede conocer la anterior.
email-revert-code-intro = Su cuenta usa la verificación en dos pasos: introduzca un código de su aplicación de autenticación o un código de recuperación. Si ha perdido ambos, un administrador puede ayudarle.
email-revert-submit = Restablecer mi dirección
email-revert-wrong-code = Ese código no coincide. Introduzca un código actual de su aplicación de autenticación o un código de recuperación sin usar.
email-reverted-title = Dirección restablecida
email-reverted-body = { $email } vuelve a ser su dirección de inicio de sesión, con su nueva contraseña. Se han cerrado todas las sesiones.

merge-title = Fusionar las cuentas
merge-intro = Estos perfiles de { $email } se trasladan, con sus consentimientos y roles, a la cuenta con la que ha iniciado sesión:
merge-consequences = Las aplicaciones siguen viendo los mismos perfiles. Después, la otra cuenta se cierra: se cierra su sesión en todas partes, su dirección ya no permite iniciar sesión y termina lo que las aplicaciones tenían para ella.
merge-submit = Fusionar las cuentas
