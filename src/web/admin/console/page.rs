//! The console's page model: a page is a title, notices and blocks (facts, tables, forms, a
//! one-time secret), rendered by one template so every page looks and behaves alike.

use askama::Template;

use crate::admin::{Permission, Principal};

pub(in crate::web::admin) struct ConsolePage {
    pub(in crate::web::admin) title: String,
    pub(in crate::web::admin) notice: Option<String>,
    pub(in crate::web::admin) error: Option<String>,
    pub(in crate::web::admin) blocks: Vec<Block>,
}

pub(in crate::web::admin) enum Block {
    Heading(String),
    Text(String),
    Link(LinkView),
    Secret(SecretView),
    Facts(Vec<(String, String)>),
    Table(TableView),
    Form(FormView),
}

pub(in crate::web::admin) struct LinkView {
    pub(in crate::web::admin) text: String,
    pub(in crate::web::admin) href: String,
}

pub(in crate::web::admin) struct SecretView {
    pub(in crate::web::admin) label: String,
    pub(in crate::web::admin) value: String,
}

pub(in crate::web::admin) struct TableView {
    pub(in crate::web::admin) headers: Vec<&'static str>,
    pub(in crate::web::admin) rows: Vec<Vec<Cell>>,
    pub(in crate::web::admin) empty: &'static str,
}

pub(in crate::web::admin) enum Cell {
    Text(String),
    Code(String),
    Link(LinkView),
    Button(ButtonForm),
}

/// A one-button form inside a table cell.
pub(in crate::web::admin) struct ButtonForm {
    pub(in crate::web::admin) action: String,
    pub(in crate::web::admin) submit: &'static str,
    pub(in crate::web::admin) danger: bool,
    pub(in crate::web::admin) hidden: Vec<(&'static str, String)>,
}

pub(in crate::web::admin) struct FormView {
    pub(in crate::web::admin) id: &'static str,
    pub(in crate::web::admin) title: Option<&'static str>,
    pub(in crate::web::admin) method: &'static str,
    pub(in crate::web::admin) action: String,
    pub(in crate::web::admin) hidden: Vec<(&'static str, String)>,
    pub(in crate::web::admin) fields: Vec<Field>,
    pub(in crate::web::admin) submit: &'static str,
    pub(in crate::web::admin) danger: bool,
}

pub(in crate::web::admin) struct Field {
    pub(in crate::web::admin) name: &'static str,
    pub(in crate::web::admin) label: &'static str,
    pub(in crate::web::admin) kind: FieldKind,
    pub(in crate::web::admin) value: String,
    pub(in crate::web::admin) hint: Option<&'static str>,
    pub(in crate::web::admin) required: bool,
}

pub(in crate::web::admin) enum FieldKind {
    Input(&'static str),
    TextArea,
    Select(Vec<(String, String)>),
    Checkbox(bool),
}

impl Field {
    pub(in crate::web::admin) fn input(
        name: &'static str,
        label: &'static str,
        kind: &'static str,
        value: impl Into<String>,
    ) -> Field {
        Field {
            name,
            label,
            kind: FieldKind::Input(kind),
            value: value.into(),
            hint: None,
            required: false,
        }
    }

    pub(in crate::web::admin) fn text(
        name: &'static str,
        label: &'static str,
        value: impl Into<String>,
    ) -> Field {
        Field::input(name, label, "text", value)
    }

    pub(in crate::web::admin) fn area(
        name: &'static str,
        label: &'static str,
        value: impl Into<String>,
    ) -> Field {
        Field {
            kind: FieldKind::TextArea,
            ..Field::text(name, label, value)
        }
    }

    pub(in crate::web::admin) fn select(
        name: &'static str,
        label: &'static str,
        options: &[(&str, &str)],
        value: &str,
    ) -> Field {
        Field {
            kind: FieldKind::Select(
                options
                    .iter()
                    .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
                    .collect(),
            ),
            ..Field::text(name, label, value)
        }
    }

    pub(in crate::web::admin) fn checkbox(
        name: &'static str,
        label: &'static str,
        checked: bool,
    ) -> Field {
        Field {
            kind: FieldKind::Checkbox(checked),
            ..Field::text(name, label, "")
        }
    }

    pub(in crate::web::admin) fn hint(mut self, hint: &'static str) -> Field {
        self.hint = Some(hint);
        self
    }

    pub(in crate::web::admin) fn required(mut self) -> Field {
        self.required = true;
        self
    }
}

impl FormView {
    pub(in crate::web::admin) fn post(
        id: &'static str,
        action: String,
        submit: &'static str,
        fields: Vec<Field>,
    ) -> FormView {
        FormView {
            id,
            title: None,
            method: "post",
            action,
            hidden: Vec::new(),
            fields,
            submit,
            danger: false,
        }
    }

    pub(in crate::web::admin) fn titled(mut self, title: &'static str) -> FormView {
        self.title = Some(title);
        self
    }

    pub(in crate::web::admin) fn danger(mut self) -> FormView {
        self.danger = true;
        self
    }

    pub(in crate::web::admin) fn hidden(
        mut self,
        name: &'static str,
        value: impl Into<String>,
    ) -> FormView {
        self.hidden.push((name, value.into()));
        self
    }
}

pub(in crate::web::admin) fn button(
    action: String,
    submit: &'static str,
    hidden: Vec<(&'static str, String)>,
) -> Cell {
    Cell::Button(ButtonForm {
        action,
        submit,
        danger: false,
        hidden,
    })
}

pub(in crate::web::admin) fn danger_button(
    action: String,
    submit: &'static str,
    hidden: Vec<(&'static str, String)>,
) -> Cell {
    Cell::Button(ButtonForm {
        action,
        submit,
        danger: true,
        hidden,
    })
}

pub(in crate::web::admin) fn link(text: impl Into<String>, href: impl Into<String>) -> LinkView {
    LinkView {
        text: text.into(),
        href: href.into(),
    }
}

impl ConsolePage {
    pub(in crate::web::admin) fn new(title: impl Into<String>) -> ConsolePage {
        ConsolePage {
            title: title.into(),
            notice: None,
            error: None,
            blocks: Vec::new(),
        }
    }

    pub(in crate::web::admin) fn push(&mut self, block: Block) -> &mut ConsolePage {
        self.blocks.push(block);
        self
    }
}

pub(in crate::web::admin) struct NavItem {
    pub(in crate::web::admin) label: &'static str,
    pub(in crate::web::admin) href: String,
    pub(in crate::web::admin) current: bool,
}

#[derive(Template)]
#[template(path = "admin/page.html")]
pub(in crate::web::admin) struct Rendered<'a> {
    pub(in crate::web::admin) issuer: &'a str,
    pub(in crate::web::admin) tenant_name: &'a str,
    pub(in crate::web::admin) nav: Vec<NavItem>,
    pub(in crate::web::admin) page: &'a ConsolePage,
    pub(in crate::web::admin) csrf_token: &'a str,
    /// The signed-in user's own account page, if there is one (not on the platform console).
    pub(in crate::web::admin) account_href: Option<String>,
}

/// Console sections, each shown to those holding its permission.
pub(super) const SECTIONS: [(&str, &str, Permission); 6] = [
    ("Clients", "clients", Permission::ClientsRead),
    ("Accounts", "accounts", Permission::AccountsRead),
    ("Roles", "roles", Permission::RolesWrite),
    ("Settings", "settings", Permission::SettingsWrite),
    ("Signing keys", "keys", Permission::KeysWrite),
    ("Audit log", "audit", Permission::AuditRead),
];

pub(in crate::web::admin) fn nav(issuer: &str, who: &Principal, current: &str) -> Vec<NavItem> {
    let mut items = vec![NavItem {
        label: "Overview",
        href: format!("{issuer}/admin"),
        current: current.is_empty(),
    }];
    items.extend(
        SECTIONS
            .iter()
            .filter(|(_, _, permission)| who.may(*permission))
            .map(|(label, path, _)| NavItem {
                label,
                href: format!("{issuer}/admin/{path}"),
                current: *path == current,
            }),
    );
    items
}
