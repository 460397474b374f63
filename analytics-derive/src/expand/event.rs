//! `#[derive(AnalyticsEvent)]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::read::accept;
use super::{bytes, fallback, field_set, json_escape, Derive};
use crate::attr::Errors;
use crate::check;
use crate::model::{Built, Event, EventInfo, Field, Struct, WriteOnly};

impl<'a> Derive<'a> for Event<'a> {
    fn build(input: &'a DeriveInput, errors: &mut Errors) -> Built<Self> {
        Event::build(input, errors)
    }

    fn check(&self, errors: &mut Errors) {
        check::event_name(&self.info, errors);
        check::fields(&self.fields.fields, errors);
        check::envelope(&self.fields.fields, true, errors);
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
    // A write-only event keeps the trait's defaults: no reader, and the
    // reason an `EventCatalog` cannot hold it.
    let read_items = match &model.write_only {
        None => quote! {
            fn __deserialize_params<'de, __D: _ap::serde::Deserializer<'de>>(
                __deserializer: __D,
            ) -> _ap::Result<Self, __D::Error> {
                _ap::deserialize_field_set(__deserializer)
            }
        },
        Some(_) => quote!(const __WRITE_ONLY: &'static _ap::str = #write_only;),
    };
    let write_only_flag = model.write_only.is_some();
    let envelope = envelope(model, info);
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
            #read_items

            #envelope

            const __DECL: &'static _ap::EventDecl = &__EVENT_DECL;
        }

        static __EVENT_DECL: _ap::EventDecl = _ap::EventDecl {
            name: #name,
            version: #version,
            description: #description,
            rust_type: #rust_type,
            checks: <#ident as _ap::FieldSet>::CHECKS,
            write_only: #write_only_flag,
            fields: <#ident as _ap::FieldSet>::__MEMBER_DECLS,
            envelope: <#ident as _ap::AnalyticsEvent>::__ENVELOPE_DECLS,
            built: _ap::OnceLock::new(),
        };

        _ap::inventory::submit! {
            _ap::CatalogEntry::new::<#ident>()
        }
    }
}

/// The items of an event with `#[analytics(envelope)]` fields: its keys, the
/// writer and `Serialize` of the whole envelope (the keys after
/// `event_type`, before `event_params`), their reader and their schemas.
/// Nothing for an event without (the trait's defaults apply).
fn envelope(model: &Struct<'_>, info: &EventInfo) -> TokenStream {
    let fields: Vec<&Field<'_>> = model
        .fields
        .iter()
        .filter(|f| f.envelope.is_some())
        .collect();
    if fields.is_empty() {
        return quote!();
    }
    let name = &info.name;
    let head = bytes(&format!("{{\"event_type\":\"{}\"", json_escape(name)));
    let members: Vec<TokenStream> = fields
        .iter()
        .map(|field| field_set::member_field(field, false))
        .collect();
    let count = field_set::member_count(&fields);
    let decls = super::decls::member_decls(&fields);
    let keys = fields
        .iter()
        .filter(|f| f.skip_deserializing.is_none())
        .flat_map(|field| {
            let aliases = field.aliases.iter().map(|alias| alias.value());
            std::iter::once(field.wire_name.clone()).chain(aliases)
        });
    let read = match &model.write_only {
        None => {
            // Envelope fields are never flattened: `accept` is only their arms.
            accept(fields.iter().copied())
        }
        Some(_) => quote! {
            let _ = (__slots, __key, __map);
            _ap::write_only(#name)
        },
    };
    quote! {
        const __ENVELOPE_KEYS: &'static [&'static _ap::str] = &[#(#keys),*];

        #[inline]
        fn write_json(&self, __out: &mut _ap::Vec<_ap::u8>) {
            __out.extend_from_slice(#head);
            {
                let __m = &mut *__out;
                #(#members)*
            }
            __out.extend_from_slice(b",\"event_params\":");
            _ap::AnalyticsEvent::write_params_json(self, __out);
            __out.push(b'}');
        }

        fn __serialize_envelope<__S: _ap::serde::Serializer>(&self, __serializer: __S) -> _ap::Result<__S::Ok, __S::Error> {
            let mut __state = _ap::serde::Serializer::serialize_map(__serializer, _ap::Option::Some(2 + #count))?;
            let mut __members = _ap::MapWriter::new(&mut __state);
            {
                let __m = &mut __members;
                _ap::MapWriter::entry(__m, "event_type", #name);
                #(#members)*
                _ap::MapWriter::entry(__m, "event_params", self);
            }
            __members.finish()?;
            _ap::serde::ser::SerializeMap::end(__state)
        }

        fn __accept_envelope<'de, __A: _ap::serde::de::MapAccess<'de>>(
            __slots: &mut <Self as _ap::FieldSet>::Slots,
            __key: &_ap::str,
            __map: &mut __A,
        ) -> _ap::Result<_ap::bool, __A::Error> {
            #read
        }

        const __ENVELOPE_DECLS: &'static _ap::MemberDecls = #decls;
    }
}
