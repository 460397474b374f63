//! Minimal impls emitted when the input has errors, so that code using the
//! type (calls to `validate`, `EVENT_NAME`, conversions) reports nothing more
//! than the real error (thiserror's `fallback.rs` does the same).

use proc_macro2::TokenStream;
use quote::quote;
use syn::Ident;

fn field_set(ident: &Ident) -> TokenStream {
    quote! {
        impl _ap::FieldSet for #ident {
            const TYPE_NAME: &'static _ap::str = "";
            const NAMES: _ap::NameSet = _ap::NameSet { own: &[], hashes: &[], flattened: &[], bloom: 0 };
            type Slots = ();
            fn __accept<'de, A: _ap::serde::de::MapAccess<'de>>(_: &mut (), _: &_ap::str, _: &mut A) -> _ap::Result<_ap::bool, A::Error> { _ap::core::unimplemented!() }
            fn __finish<E: _ap::serde::de::Error>(_: ()) -> _ap::Result<Self, E> { _ap::core::unimplemented!() }
            fn __members<M: _ap::Members>(&self, _: &mut M) { _ap::core::unimplemented!() }
            const __MEMBER_DECLS: &'static _ap::MemberDecls = &_ap::MemberDecls::EMPTY;
        }
        impl _ap::serde::Serialize for #ident {
            fn serialize<S: _ap::serde::Serializer>(&self, _: S) -> _ap::Result<S::Ok, S::Error> { _ap::core::unimplemented!() }
        }
        impl<'de> _ap::serde::Deserialize<'de> for #ident {
            fn deserialize<D: _ap::serde::Deserializer<'de>>(_: D) -> _ap::Result<Self, D::Error> { _ap::core::unimplemented!() }
        }
    }
}

/// `AnalyticsEvent` (and `EVENT_NAME`) that compile and do nothing.
pub fn event(ident: &Ident, name: &str) -> TokenStream {
    let field_set = field_set(ident);
    quote! {
        #field_set
        impl #ident {
            #[doc = "The wire name of this event."]
            pub const EVENT_NAME: &'static _ap::str = #name;
        }
        impl _ap::AnalyticsEvent for #ident {
            const NAME: &'static _ap::str = #name;
            const VERSION: _ap::u32 = 1;
            const __ENVELOPE_PREFIX: &'static [_ap::u8] = b"";
            fn __deserialize_params<'de, D: _ap::serde::Deserializer<'de>>(_: D) -> _ap::Result<Self, D::Error> { _ap::core::unimplemented!() }
            const __DECL: &'static _ap::EventDecl = &_ap::UNDECLARED;
        }
    }
}

/// `AnalyticsFields` that compiles and does nothing.
pub fn fields(ident: &Ident) -> TokenStream {
    let field_set = field_set(ident);
    quote! {
        #field_set
        impl _ap::AnalyticsFields for #ident {}
        impl _ap::AnalyticsValue for #ident {
            type __Read = _ap::Unreadable;
            fn __from_read(__read: _ap::Unreadable) -> Self { match __read {} }
            fn write_json(&self, _: &mut _ap::Vec<_ap::u8>) { _ap::core::unimplemented!() }
            fn field_type() -> _ap::FieldType { _ap::core::unimplemented!() }
        }
    }
}

/// `AnalyticsEnum` that compiles and does nothing.
pub fn enumeration(ident: &Ident) -> TokenStream {
    quote! {
        impl _ap::AnalyticsEnum for #ident {
            const VALUES: &'static [&'static _ap::str] = &[];
            fn as_str(&self) -> &'static _ap::str { _ap::core::unimplemented!() }
            fn from_wire(_: &_ap::str) -> _ap::Option<Self> { _ap::core::unimplemented!() }
        }
        impl _ap::AnalyticsValue for #ident {
            type __Read = _ap::Unreadable;
            fn __from_read(__read: _ap::Unreadable) -> Self { match __read {} }
            fn write_json(&self, _: &mut _ap::Vec<_ap::u8>) { _ap::core::unimplemented!() }
            fn field_type() -> _ap::FieldType { _ap::core::unimplemented!() }
        }
        impl _ap::serde::Serialize for #ident {
            fn serialize<S: _ap::serde::Serializer>(&self, _: S) -> _ap::Result<S::Ok, S::Error> { _ap::core::unimplemented!() }
        }
        impl<'de> _ap::serde::Deserialize<'de> for #ident {
            fn deserialize<D: _ap::serde::Deserializer<'de>>(_: D) -> _ap::Result<Self, D::Error> { _ap::core::unimplemented!() }
        }
    }
}

/// `EventCatalog` that compiles and does nothing.
pub fn catalog(ident: &Ident) -> TokenStream {
    quote! {
        impl #ident {
            #[doc = "Every event name of the catalog, in declaration order."]
            pub const NAMES: &'static [&'static _ap::str] = &[];
        }
        impl _ap::EventCatalog for #ident {
            const NAMES: &'static [&'static _ap::str] = &[];
            fn event_type(&self) -> &'static _ap::str { _ap::core::unimplemented!() }
            fn validate(&self) -> _ap::Result<(), _ap::ValidationErrors> { _ap::core::unimplemented!() }
            fn write_json(&self, _: &mut _ap::Vec<_ap::u8>) { _ap::core::unimplemented!() }
        }
        impl _ap::serde::Serialize for #ident {
            fn serialize<S: _ap::serde::Serializer>(&self, _: S) -> _ap::Result<S::Ok, S::Error> { _ap::core::unimplemented!() }
        }
        impl<'de> _ap::serde::Deserialize<'de> for #ident {
            fn deserialize<D: _ap::serde::Deserializer<'de>>(_: D) -> _ap::Result<Self, D::Error> { _ap::core::unimplemented!() }
        }
    }
}
