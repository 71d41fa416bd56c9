//! The saved Citrix Cloud account: signing in (credentials checked by Citrix before anything is
//! kept), and forgetting it. The secret goes to the keychain, the rest to settings.

use citrix_cloud::{Credentials, Endpoints, Region};

use super::{ConnectRequest, Connected, Mode};
use crate::desk::Desk;
use crate::error::{Error, Result};
use crate::settings::StoredAccount;
use crate::vault;

/// The sign-in form as the UI sends it. `secret: None` means "use the one in the keychain".
pub struct SignIn {
    pub region: Region,
    pub customer_id: String,
    pub client_id: String,
    pub secret: Option<String>,
}

/// Validates the form, connects (token + `/me`), makes it the app's connection, and only then
/// keeps the secret and the account. A sign-in overtaken by another connect or a disconnect
/// (see [`super::ConnectionState`]) changes nothing and fails with `superseded`.
pub(crate) async fn sign_in(desk: &Desk, form: SignIn) -> Result<Connected> {
    let (settings, vault, connection) = (&desk.settings, &desk.vault, &desk.connection);
    // Before the first `.await`: whatever the officer does after this click wins over it.
    let epoch = connection.begin_connect();
    let fields = super::validate_account(&form.customer_id, &form.client_id)?;
    let account = vault::account(&fields.customer_id, &fields.client_id);
    let saved = settings.get();
    let same_account = saved.account.as_ref().is_some_and(|a| {
        a.customer_id == fields.customer_id && a.client_id.eq_ignore_ascii_case(&fields.client_id)
    });

    let entered = form
        .secret
        .as_deref()
        .map(super::validate_secret)
        .transpose()?;
    let secret = match &entered {
        Some(s) => s.clone(),
        None => vault.get(&account).await?.ok_or(Error::NoSecretStored)?,
    };

    let endpoints = match &desk.cloud_url {
        Some(url) => Endpoints::with_base(url),
        None => Endpoints::for_region(form.region),
    };
    let connected = super::connect(ConnectRequest {
        mode: Mode::Cloud,
        region: Some(form.region),
        endpoints,
        credentials: Credentials {
            customer_id: fields.customer_id.clone(),
            client_id: fields.client_id.clone(),
            secret,
        },
        preferred_site: saved.site_id.clone().filter(|_| same_account),
    })
    .await?;
    connection.install(epoch, connected.clone())?;

    // Citrix accepted the credentials: now they are kept. A secret that came from the keychain
    // is already there.
    let mut secret_stored = entered.is_none();
    if let Some(secret) = &entered {
        match vault.set(&account, secret).await {
            Ok(()) => secret_stored = true,
            Err(e) => {
                // Not fatal: the officer is connected and can work; only the next start-up
                // will ask for the secret again.
                // The keychain's own text (a D-Bus or OS error) is for the log, not the banner.
                tracing::warn!(kind = %e.kind(), "secret not saved in the keychain: {e}");
                desk.notices.push(format!(
                    "You are connected, but the client secret could not be saved in this \
                     computer's password store ({}). You will need to enter it again next time.",
                    if matches!(e, Error::KeychainLocked(_)) {
                        "it is locked"
                    } else {
                        "it is not available"
                    }
                ));
            }
        }
        if let Some(old) = saved.account.as_ref().filter(|_| !same_account) {
            // One saved account: the previous account's secret goes with it.
            let old_account = vault::account(&old.customer_id, &old.client_id);
            if let Err(e) = vault.delete(&old_account).await {
                tracing::warn!("previous account's secret not removed: {e}");
            }
        }
    }

    let site_id = connected.info.site_id.clone();
    desk.save_settings(|s| {
        s.account = Some(StoredAccount {
            region: form.region,
            customer_id: fields.customer_id,
            client_id: fields.client_id,
            secret_stored,
        });
        if desk.remember_mode {
            s.last_mode = Some(Mode::Cloud);
        }
        s.site_id = site_id;
    });
    Ok(connected)
}

/// Deletes the keychain entry and the saved account. If the keychain refuses, nothing is
/// forgotten, so the officer can unlock it and try again without leaving a secret behind.
pub(crate) async fn forget(desk: &Desk) -> Result<()> {
    if let Some(a) = desk.settings.get().account {
        desk.vault
            .delete(&vault::account(&a.customer_id, &a.client_id))
            .await?;
    }
    desk.save_settings(|s| {
        s.account = None;
        s.site_id = None;
    });
    Ok(())
}
