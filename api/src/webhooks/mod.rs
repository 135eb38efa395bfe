//! `/v1/webhook-secret`: the account's own secret that signs its webhook deliveries
//! (Standard Webhooks). `POST` makes or rotates it and shows it once; `GET` says whether
//! one exists and when it was made, never the secret.

pub mod secret;
