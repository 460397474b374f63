//! `#[derive(AnalyticsEvent)]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::{bytes, emit, fallback, field_set, json_escape};
use crate::attr::EventAttrs;
use crate::check;
use crate::model::{runtime_crate, EventInfo, Struct};
use crate::symbol::DERIVE_EVENT;

pub fn derive(input: &DeriveInput) -> TokenStream {
    let mut errors = darling::Error::accumulator();
    let attrs: Option<EventAttrs> =
        crate::attr::parse_container(input, crate::symbol::EVENT_KEYS, &mut errors);
    let krate = runtime_crate(attrs.as_ref().and_then(|attrs| attrs.krate.as_ref()));
    let fields = check::struct_shape(input, DERIVE_EVENT, &mut errors);
    check::no_generics(input, DERIVE_EVENT, &mut errors);

    let info = attrs.as_ref().map(|attrs| {
        EventInfo::from_attrs(
            input,
            attrs.name.as_ref().map(|name| name.0.clone()),
            attrs.version,
            attrs.any_name.is_present(),
        )
    });
    if let Some(info) = &info {
        check::event_name(info, &mut errors);
    }
    let model = match (fields, attrs) {
        (Some(fields), Some(attrs)) => {
            Some(Struct::from_input(input, fields, attrs.check, &mut errors))
        }
        _ => None,
    };
    if let Some(model) = &model {
        check::fields(&model.fields, &mut errors);
    }

    let stub_name = info
        .as_ref()
        .map(|info| info.name.clone())
        .unwrap_or_default();
    let model = model.zip(info);
    emit(
        errors,
        model,
        &krate,
        input,
        |(model, info)| expand(&model, &info),
        || fallback::event(&input.ident, &stub_name),
    )
}

fn expand(model: &Struct<'_>, info: &EventInfo) -> TokenStream {
    let ident = model.ident;
    let field_set = field_set::expand(model);
    let name = &info.name;
    let version = info.version;
    let prefix = bytes(&format!(
        "{{\"event_type\":\"{}\",\"event_params\":",
        json_escape(name)
    ));
    let description = &model.description;
    let rust_type = ident.to_string();
    let doc = format!("The wire name of this event: `{name}`.");
    quote! {
        #field_set

        #[automatically_derived]
        impl #ident {
            #[doc = #doc]
            pub const EVENT_NAME: &'static str = #name;
        }

        #[automatically_derived]
        impl _ap::AnalyticsEvent for #ident {
            const NAME: &'static str = #name;
            const VERSION: u32 = #version;
            const __ENVELOPE_PREFIX: &'static [u8] = #prefix;

            fn schema() -> &'static _ap::EventSchema {
                static SCHEMA: _ap::OnceLock<_ap::EventSchema> = _ap::OnceLock::new();
                _ap::event_schema::<Self>(&SCHEMA, #description, #rust_type)
            }
        }

        _ap::inventory::submit! {
            _ap::CatalogEntry::new::<#ident>()
        }
    }
}
