//! The saved Citrix Cloud accounts (profiles): signing in (credentials checked by Citrix before
//! anything is kept), and removing one. The secret goes to the keychain, the rest to settings.

use citrix_cloud::{Credentials, Endpoints, Region};

use super::profiles::{self, Profile};
use super::{ConnectRequest, Connected, Mode};
use crate::desk::Desk;
use crate::error::{Error, Result};
use crate::settings::StoredSettings;
use crate::vault;

/// The sign-in form as the UI sends it. `secret: None` means "use the one in the keychain".
pub struct SignIn {
    pub region: Region,
    pub customer_id: String,
    pub client_id: String,
    pub secret: Option<String>,
    /// The name the officer gives the account; for a saved one, `None` keeps its name.
    pub name: Option<String>,
    /// The saved account (profile) signed in to, `None` for a new one. Without either, the
    /// profile with this customer and client is used, or a new one named after the customer.
    pub profile_id: Option<String>,
}

/// Which profile a sign-in saves into, decided before anything is sent.
struct Target {
    id: String,
    name: String,
    /// The profile as it was, when it exists.
    existing: Option<Profile>,
}

fn target(saved: &StoredSettings, form: &SignIn, fields: &super::AccountFields) -> Result<Target> {
    let (customer, client) = (&fields.customer_id, &fields.client_id);
    if let Some(id) = &form.profile_id {
        let existing = profiles::find(saved, id).cloned().ok_or_else(|| {
            Error::invalid(
                "That Citrix account is no longer saved (it was removed, perhaps in another \
                 window). Add it again with \"Add a Citrix account\".",
            )
        })?;
        profiles::refuse_duplicate(saved, customer, client, Some(id))?;
        let name = match &form.name {
            Some(name) => profiles::validate_name(saved, name, Some(id))?,
            None => existing.name.clone(),
        };
        return Ok(Target {
            id: id.clone(),
            name,
            existing: Some(existing),
        });
    }
    if let Some(name) = &form.name {
        let name = profiles::validate_name(saved, name, None)?;
        profiles::refuse_duplicate(saved, customer, client, None)?;
        return Ok(Target {
            id: profiles::new_id(),
            name,
            existing: None,
        });
    }
    Ok(
        match saved
            .profiles
            .iter()
            .find(|p| p.is_account(customer, client))
        {
            Some(p) => Target {
                id: p.id.clone(),
                name: p.name.clone(),
                existing: Some(p.clone()),
            },
            None => Target {
                id: profiles::new_id(),
                name: profiles::unused_default_name(saved, customer),
                existing: None,
            },
        },
    )
}

/// Validates the form, connects (token + `/me`), makes it the app's connection, and only then
/// keeps the secret and the profile, which becomes the current one. A sign-in overtaken by
/// another connect or a disconnect (see [`super::ConnectionState`]) changes nothing and fails
/// with `superseded`.
pub(crate) async fn sign_in(desk: &Desk, form: SignIn) -> Result<Connected> {
    let (settings, vault, connection) = (&desk.settings, &desk.vault, &desk.connection);
    // Before the first `.await`: whatever the officer does after this click wins over it.
    let epoch = connection.begin_connect();
    let fields = super::validate_account(&form.customer_id, &form.client_id)?;
    let account = vault::account(&fields.customer_id, &fields.client_id);
    let saved = settings.get();
    let target = target(&saved, &form, &fields)?;
    let same_account = target
        .existing
        .as_ref()
        .filter(|p| p.is_account(&fields.customer_id, &fields.client_id));

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
    let mut connected = super::connect(ConnectRequest {
        mode: Mode::Cloud,
        region: Some(form.region),
        endpoints,
        credentials: Credentials {
            customer_id: fields.customer_id.clone(),
            client_id: fields.client_id.clone(),
            secret,
        },
        preferred_site: same_account.and_then(|p| p.site_id.clone()),
    })
    .await?;
    connected.info.profile_id = Some(target.id.clone());
    connected.info.profile = Some(target.name.clone());
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
        if let Some(old) = target.existing.as_ref().filter(|_| same_account.is_none()) {
            // The profile now signs in as another customer or client: its old secret goes.
            if let Err(e) = vault.delete(&old.keychain_entry()).await {
                tracing::warn!("the account's previous secret not removed: {e}");
            }
        }
    }

    let profile = Profile {
        id: target.id,
        name: target.name,
        region: form.region,
        customer_id: fields.customer_id,
        client_id: fields.client_id,
        secret_stored,
        site_id: connected.info.site_id.clone(),
    };
    desk.save_settings(|s| {
        let id = profile.id.clone();
        match profiles::find_mut(s, &id) {
            Some(p) => *p = profile,
            None => s.profiles.push(profile),
        }
        // The command-line tool signs in to a profile for one command; only the window's
        // choice (or the first account) changes the current one.
        if desk.remember_mode || profiles::current_id(s).is_none() {
            s.current_profile = Some(id);
        }
        if desk.remember_mode {
            s.last_mode = Some(Mode::Cloud);
        }
    });
    Ok(connected)
}

/// Removes a saved profile: its keychain entry, then the profile. If the keychain refuses,
/// nothing is removed, so the officer can unlock it and try again without leaving a secret
/// behind. The audit trail is not touched.
pub(crate) async fn remove(desk: &Desk, id: &str) -> Result<()> {
    if id == profiles::DEMO_ID {
        return Err(Error::invalid(
            "The demo site is built in and cannot be removed.",
        ));
    }
    let saved = desk.settings.get();
    let Some(profile) = profiles::find(&saved, id) else {
        return Ok(());
    };
    desk.vault.delete(&profile.keychain_entry()).await?;
    if desk
        .connection
        .get()
        .is_some_and(|c| c.info.profile_id.as_deref() == Some(id))
    {
        desk.connection.clear();
    }
    desk.save_settings(|s| {
        s.profiles.retain(|p| p.id != id);
        if s.current_profile.as_deref() == Some(id) {
            s.current_profile = None;
        }
    });
    Ok(())
}

/// Forgets the current Citrix Cloud profile (see [`remove`]).
pub(crate) async fn forget(desk: &Desk) -> Result<()> {
    match profiles::current(&desk.settings.get()) {
        Some(p) => remove(desk, &p.id.clone()).await,
        None => Ok(()),
    }
}
