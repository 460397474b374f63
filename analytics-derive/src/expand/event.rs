//! `#[derive(AnalyticsEvent)]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::{bytes, fallback, field_set, json_escape, Derive};
use crate::attr::Errors;
use crate::check;
use crate::model::{Built, Event, EventInfo, Struct, WriteOnly};

impl<'a> Derive<'a> for Event<'a> {
    fn build(input: &'a DeriveInput, errors: &mut Errors) -> Built<Self> {
        Event::build(input, errors)
    }

    fn check(&self, errors: &mut Errors) {
        check::event_name(&self.info, errors);
        check::fields(&self.fields.fields, errors);
    }

    fn expand(&self) -> TokenStream {
        expand(&self.fields, &self.info)
    }

    fn stub(input: &DeriveInput, event_name: &str) -> TokenStream {
        fallback::event(&input.ident, event_name)
    }
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
    let write_only = match &model.write_only {
        None => String::new(),
        Some(WriteOnly::Asked) => format!(
            "`{ident}` is `#[analytics(write_only)]`, and an `EventCatalog` reads its events back: mark the catalog `#[analytics(write_only)]` too"
        ),
        Some(WriteOnly::Borrowed { field, ty }) => format!(
            "`{ident}` is write-only: its field `{field}` borrows (`{ty}`), and an `EventCatalog` reads its events back; make the field owned (`String`, `Cow<'static, str>`) or mark the catalog `#[analytics(write_only)]`"
        ),
    };
    let deserialize_params = match &model.write_only {
        None => quote!(_ap::deserialize_field_set(__deserializer)),
        Some(_) => quote!(_ap::write_only(#name)),
    };
    let doc = format!("The wire name of this event: `{name}`.");
    quote! {
        #field_set

        #[automatically_derived]
        impl #ident {
            #[doc = #doc]
            pub const EVENT_NAME: &'static _ap::str = #name;
        }

        #[automatically_derived]
        impl _ap::AnalyticsEvent for #ident {
            const NAME: &'static _ap::str = #name;
            const VERSION: _ap::u32 = #version;
            const __ENVELOPE_PREFIX: &'static [_ap::u8] = #prefix;
            const __WRITE_ONLY: &'static _ap::str = #write_only;

            fn __deserialize_params<'de, __D: _ap::serde::Deserializer<'de>>(
                __deserializer: __D,
            ) -> _ap::Result<Self, __D::Error> {
                #deserialize_params
            }

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
